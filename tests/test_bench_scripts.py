"""The NLU benchmark scripts compute their figures right: checked on hand-made examples, no training."""

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import compare_nlu_pipelines  # noqa: E402  (bench/ is not a package)
import nlu_heldout  # noqa: E402

SALES = ["inform", "ask_pricing", "request_demo", "human_handoff", "affirm"]
NOT_SALES = ["out_of_scope", "nlu_fallback", "greet", "deny", "support_request", "goodbye"]


def test_every_sales_intent_counts_as_off_topic_to_sales_and_nothing_else_does():
    predictions = {"maths": [(intent, 0.5) for intent in SALES], "weather": [(intent, 0.99) for intent in NOT_SALES]}

    scored = nlu_heldout.score_off_topic(predictions)

    assert (scored["n"], scored["to_sales"], scored["rate"]) == (11, 5, 0.455)
    assert scored["landed_in"] == dict.fromkeys(SALES, 1)
    assert scored["confident_to_sales"] == 0  # the confident ones all went elsewhere
    assert scored["per_domain"]["maths"]["rate"] == 1.0
    assert scored["per_domain"]["weather"]["rate"] == 0.0
    assert list(scored["per_domain"]) == ["maths", "weather"]  # worst domain first


def test_off_topic_rate_counts_confident_mistakes_and_sorts_domains_worst_first():
    predictions = {
        "banking": [("out_of_scope", 0.9), ("inform", 0.95), ("greet", 0.7), ("deny", 0.6)],
        "news": [("ask_pricing", 0.92), ("affirm", 0.4), ("nlu_fallback", 0.3)],
    }

    scored = nlu_heldout.score_off_topic(predictions)

    assert (scored["to_sales"], scored["n"], scored["rate"], scored["confident_to_sales"]) == (3, 7, 0.429, 2)
    assert list(scored["per_domain"]) == ["news", "banking"]
    assert scored["per_domain"]["banking"] == {
        "n": 4,
        "to_sales": 1,
        "rate": 0.25,
        "confident_to_sales": 1,
        "landed_in": {"inform": 1},
    }


def test_evaluate_scores_a_parser_over_held_out_files(tmp_path: Path):
    (tmp_path / "off_topic.yml").write_text(
        yaml.safe_dump({"domains": {"maths": ["what is 2 plus 2", "square root of 9"], "weather": ["rain today?"]}})
    )
    (tmp_path / "in_scope.yml").write_text(
        yaml.safe_dump(
            {
                "intents": {"greet": ["hi there", "hello folks"], "ask_pricing": ["what does it cost"]},
                "upcoming": {"new_intent": ["something new"]},
            }
        )
    )
    answers = {
        "hello": "greet",
        "what is 2 plus 2": "inform",  # off-topic read as sales
        "square root of 9": "out_of_scope",
        "rain today?": "out_of_scope",
        "hi there": "greet",
        "hello folks": "ask_pricing",  # wrong
        "what does it cost": "ask_pricing",
        "something new": "greet",
    }

    report = nlu_heldout.evaluate(lambda text: (answers[text], 0.8), {"greet", "ask_pricing"}, tmp_path)

    assert (report["off_topic"]["to_sales"], report["off_topic"]["n"]) == (1, 3)
    # greet: TP 1, predicted 1 (+1 from the skipped intent does not count), expected 2 -> 2/3; ask_pricing: 2/3
    assert report["in_scope"]["n"] == 3
    assert report["in_scope"]["macro_f1"] == 0.667
    assert report["in_scope"]["accuracy"] == 0.667
    assert report["in_scope"]["skipped"] == {"new_intent": {"n": 1, "landed_in": {"greet": 1}}}
    assert report["latency_ms"]["n"] == 7  # every held-out message, the warm-up parse not


ROW = {
    "candidate": "encoder_logreg_gate",
    "intent_macro_f1": 0.91234,
    "intent_accuracy": 0.9,
    "entity_macro_f1": {"SpacyEntityExtractor (rules)": 0.9921},
    "off_topic_to_sales": 15,
    "off_topic_n": 350,
    "off_topic_confident": 0,
    "heldout_macro_f1": 0.932,
    "p50_ms": 28.6,
    "p95_ms": 37.2,
    "cv_seconds": 400.0,
    "train_seconds": 71.4,
}


def test_table_row_puts_each_figure_in_its_column():
    lines = compare_nlu_pipelines.format_table([ROW]).splitlines()

    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    cells = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert dict(zip(header, cells, strict=True)) == {
        "candidate": "encoder_logreg_gate",
        "intent macro-F1 (CV)": "0.912",
        "off-topic -> sales": "4.3% (15/350)",
        "held-out in-scope macro-F1": "0.932",
        "entity F1": "0.992 (SpacyEntityExtractor (rules))",
        "one training": "71 s",
        "p50 / p95 parse": "29 / 37 ms",
    }
    assert lines[-1] == "encoder_logreg_gate: off-topic <= 3% and held-out F1 >= 0.95: NOT met"


def test_table_says_met_only_when_both_targets_are():
    good = {**ROW, "off_topic_to_sales": 10, "heldout_macro_f1": 0.95}  # 2.9%, exactly 0.95
    high_off_topic = {**ROW, "candidate": "b", "off_topic_to_sales": 11, "heldout_macro_f1": 0.99}  # 3.1%
    low_f1 = {**ROW, "candidate": "c", "off_topic_to_sales": 0, "heldout_macro_f1": 0.949}

    lines = compare_nlu_pipelines.format_table([good, high_off_topic, low_f1]).splitlines()

    assert lines[-3:] == [
        "encoder_logreg_gate: off-topic <= 3% and held-out F1 >= 0.95: met",
        "b: off-topic <= 3% and held-out F1 >= 0.95: NOT met",
        "c: off-topic <= 3% and held-out F1 >= 0.95: NOT met",
    ]


def test_table_gives_the_training_time_ratio_against_the_starter_bot():
    within = compare_nlu_pipelines.format_table([ROW], {"project_seconds": 231.0, "starter_seconds": 77.0})
    beyond = compare_nlu_pipelines.format_table([ROW], {"project_seconds": 267.0, "starter_seconds": 77.0})

    assert "this project (config.yml, NLU + core): 231 s; Rasa's starter bot (`rasa init`): 77 s; ratio 3.0x" in within
    assert "(target <= 3x: met)" in within
    assert "ratio 3.5x (target <= 3x: NOT met)" in beyond


def test_candidates_are_picked_by_name_in_the_order_given(tmp_path: Path):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yml").write_text("pipeline: []\n")

    assert [p.stem for p in compare_nlu_pipelines.select_candidates(tmp_path, "c, a")] == ["c", "a"]
    assert [p.stem for p in compare_nlu_pipelines.select_candidates(tmp_path, "all")] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="no candidate config x in"):
        compare_nlu_pipelines.select_candidates(tmp_path, "a,x")


def test_default_candidates_exist_and_one_of_them_is_the_shipped_pipeline():
    """So the benchmark's figures for that candidate are the shipped config's (thresholds included)."""

    def components(config: Path) -> list[dict]:
        pipeline = yaml.safe_load(config.read_text())["pipeline"]
        # config.yml's classifier is Rasa's, only safe for a message without features (none in bench/heldout/).
        same = {"nlu_components.intent_classifier.FeaturelessSafeLogisticRegression": "LogisticRegressionClassifier"}
        return [{**c, "name": same.get(c["name"], c["name"])} for c in pipeline]

    chosen = compare_nlu_pipelines.select_candidates(
        ROOT / "bench" / "pipelines", ",".join(compare_nlu_pipelines.DEFAULT_CANDIDATES)
    )
    assert len(chosen) == len(compare_nlu_pipelines.DEFAULT_CANDIDATES) >= 3  # the issue asks for three at least
    assert components(ROOT / "config.yml") in [components(config) for config in chosen]


def test_the_load_report_counts_lost_answers_double_bookings_and_duplicate_deliveries():
    from tests.support.load_with_faults import QUESTIONS, LoadReport
    from tests.support.scripted_visitor import Outcome

    report = LoadReport(
        outcomes=[Outcome("a", booked=True, messages=10, latencies=[0.1] * 10), Outcome("b", messages=4, failures=1)],
        faults=["rasa-1 killed"],
        seconds=2.0,
        answered={"a": set(QUESTIONS), "b": set(QUESTIONS) - {"email", "budget"}, "c": set()},
        answers_lost={"b": {"email", "budget"}},
        meetings_per_visitor={"a": 2},
        crm_messages=3,
        crm_deliveries=4,
        crm_distinct_keys=3,
    )
    # Every visitor with an answer stored is a lead, whether or not an answer went missing.
    assert (report.booked, report.double_bookings, report.leads_stored) == (1, 1, 2)
    assert report.lines()[1].startswith(
        "answers lost 2 (b: ['budget', 'email']), double bookings 1, messages 14 (1 written again"
    )
    assert "duplicate deliveries 1" in report.lines()[3]
    assert LoadReport([], [], 1.0, answered={"c": set()}, answers_lost={"c": set(QUESTIONS)}).leads_stored == 0


def test_a_scripted_visitor_answers_the_question_asked_and_knows_when_it_is_booked():
    from tests.support.scripted_visitor import Profile, ScriptedVisitor

    visitor = ScriptedVisitor("http://127.0.0.1:1", Profile(12), {"LEADQUAL_SECRET_KEY": "k" * 40})
    assert visitor._next_message([{"text": "Hi!"}, {"text": "Which company are you with?"}]) == "Northwind Traders"
    assert visitor._next_message([{"text": "What's the best work email to reach you on?"}]).endswith(
        "@northwind-traders.com"
    )
    offer = [{"text": "Ana can meet you.", "buttons": [{"title": "Mon", "payload": '/choose_slot{"slot_index": 0}'}]}]
    assert visitor._next_message(offer) == '/choose_slot{"slot_index": 0}'
    assert visitor._next_message([{"text": "Something else entirely"}]) == "hello again?"
    booked = [
        {
            "text": "You're booked with Ana on Monday 10:00. Add it to your calendar: https://x/y . Ana has everything you told me, so you won't need to repeat yourself."
        }
    ]
    assert visitor._next_message(booked) is None and visitor.outcome.booked
