"""Every operator-edited file shipped under config/ loads. Library tests use their own small
configs, so editing a shipped file (other points, other reps) only has to keep this test green."""

from appconfig.settings import PROJECT_ROOT
from launcher.checks import check_configs, config_files


def test_every_shipped_config_file_loads():
    shipped = sorted(path.name for path in (PROJECT_ROOT / "config").glob("*.yml"))
    assert shipped == sorted(config_files())  # a new file under config/ gets a loader in launcher.checks
    assert check_configs(PROJECT_ROOT / "config") == []
