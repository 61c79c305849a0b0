"""Every operator-edited file shipped under config/ loads. Library tests use their own small
configs, so editing a shipped file (other points, other reps) only has to keep this test green."""

from appconfig.settings import PROJECT_ROOT
from launcher.checks import check_configs, config_files


def test_every_shipped_config_file_loads():
    shipped = sorted(path.name for path in (PROJECT_ROOT / "config").glob("*.yml"))
    assert shipped == sorted(config_files())  # a new file under config/ gets a loader in launcher.checks
    assert check_configs(PROJECT_ROOT / "config") == []


def test_every_neural_component_has_a_fixed_random_seed():
    """DIET, TED and ResponseSelector start from random weights: unseeded, CI and a laptop train different models."""
    import yaml

    seeded = ("DIETClassifier", "TEDPolicy", "ResponseSelector", "UnexpecTEDIntentPolicy")
    unseeded = []
    for config in [PROJECT_ROOT / "config.yml", *sorted((PROJECT_ROOT / "bench" / "pipelines").glob("*.yml"))]:
        loaded = yaml.safe_load(config.read_text(encoding="utf-8"))
        for component in (loaded.get("pipeline") or []) + (loaded.get("policies") or []):
            if component["name"].rsplit(".", 1)[-1] in seeded and "random_seed" not in component:
                unseeded.append(f"{config.name}: {component['name']}")
    assert unseeded == []
