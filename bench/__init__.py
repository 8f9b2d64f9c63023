"""``make bench``: throughput, latency and memory beside a raw aiokafka + PyMongo baseline."""
