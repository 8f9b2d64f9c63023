// Readiness probe for deploy/local/kafka.sh, used when the repo's Python venv
// (with aiokafka) is not available. Run as a single-file source program:
//   java -cp "<libs>/*" KafkaProbe.java BOOTSTRAP TIMEOUT_SECONDS [PID]
// Exit 0: the broker answered a DescribeCluster (metadata) request.
// Exit 1: no answer before the timeout.  Exit 2: process PID went away.
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;

public class KafkaProbe {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
        long pid = args.length > 2 ? Long.parseLong(args[2]) : 0;

        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2000");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        try (Admin admin = Admin.create(p)) {
            while (true) {
                try {
                    DescribeClusterResult r = admin.describeCluster();
                    String id = r.clusterId().get(2, TimeUnit.SECONDS);
                    int nodes = r.nodes().get(2, TimeUnit.SECONDS).size();
                    if (nodes > 0) {
                        System.out.println("cluster " + id + ", " + nodes + " broker(s)");
                        System.exit(0);
                    }
                } catch (Exception e) {
                    // not ready yet
                }
                if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) System.exit(2);
                if (System.nanoTime() > deadline) System.exit(1);
                Thread.sleep(250);
            }
        }
    }
}
