from rapport_feedback.bootstrap import create_app
from rapport_feedback.settings import FeedbackSettings


def test_answer_intake_is_public_and_documented_reads_need_a_key() -> None:
    schema = create_app(FeedbackSettings(environment="test")).openapi()
    intake = schema["paths"]["/surveys/answers"]["post"]
    assert intake["security"] == []  # public, and says so
    assert set(intake["responses"]) >= {"201", "404", "409", "410", "422"}
    body = schema["components"]["schemas"]["AnswerSubmission"]["properties"]
    assert body["comment"]["anyOf"][0]["maxLength"] == 1000
    for path in ("/contacts/{contact_id}/feedback", "/surveys/response-rates"):
        assert schema["paths"][path]["get"]["security"] == [{"HTTPBearer": []}]
