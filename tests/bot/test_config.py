"""Configuration: bot.toml, environment overrides, .env, secrets, and errors that name the key."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.config import ConfigError, load_config
from tests.support.cli import Gepeto

TOKEN = "123456:AAE-family-bot-token-do-not-print"


def write(directory: Path, text: str) -> Path:
    path = directory / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_file_sets_values_and_the_rest_keep_their_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[household]\nname = "The Silvas"\ntimezone = "Europe/Lisbon"\n'
        "[safety]\nconfirmation_timeout_s = 60\n",
    )

    settings = load_config(path, environ={}).settings

    assert settings.household.name == "The Silvas"
    assert settings.household.timezone == "Europe/Lisbon"
    assert settings.safety.confirmation_timeout_s == 60
    assert settings.safety.messages_per_minute == 20
    assert settings.skills.sections() == {}


def test_relative_paths_are_relative_to_the_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[storage]\ndata_dir = "state"\n[vault]\npath = "notes"\n')
    monkeypatch.chdir(Path("/"))

    settings = load_config(path, environ={}).settings

    assert settings.storage.data_dir == tmp_path.resolve() / "state"
    assert settings.vault.path == tmp_path.resolve() / "notes"
    assert settings.storage.resolved_database_url().endswith(
        str(tmp_path.resolve() / "state" / "gepeto.db")
    )


def test_the_example_bot_toml_is_valid_as_shipped() -> None:
    example = Path(__file__).resolve().parents[2] / "bot.toml"

    config = load_config(example, environ={})

    assert config.settings.safety.roles["adult"].deny == ["members.*"]
    assert "child" not in config.settings.safety.roles  # the skills' defaults apply
    assert not config.telegram_enabled
    assert not config.matrix_enabled


def test_gepeto_config_picks_another_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('[household]\nname = "The Elsewheres"\n', encoding="utf-8")

    config = load_config(environ={"GEPETO_CONFIG": str(other)})

    assert config.source == other
    assert config.settings.household.name == "The Elsewheres"


def test_environment_overrides_any_key_with_section_and_double_underscore(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "[safety]\nconfirmation_timeout_s = 60\n")

    settings = load_config(
        path,
        environ={
            "GEPETO_SAFETY__CONFIRMATION_TIMEOUT_S": "120",
            "GEPETO_CHANNELS__TELEGRAM__API_BASE": "http://127.0.0.1:8081",
            "GEPETO_CHANNELS__MATRIX__ASSISTANT_ROOMS": '["!kitchen:example.org"]',
            "GEPETO_SKILLS__LISTS__ALIASES": '{"compras": "Shopping"}',
        },
    ).settings

    assert settings.safety.confirmation_timeout_s == 120
    assert settings.channels.telegram.api_base == "http://127.0.0.1:8081"
    assert settings.channels.matrix.assistant_rooms == ["!kitchen:example.org"]
    assert settings.skills.sections()["lists"]["aliases"] == {"compras": "Shopping"}


def test_short_names_move_the_data_dir_and_the_vault(tmp_path: Path) -> None:
    path = write(tmp_path, '[storage]\ndata_dir = "data"\n')

    settings = load_config(
        path, environ={"GEPETO_DATA_DIR": "/srv/gepeto", "GEPETO_VAULT": "/srv/vault"}
    ).settings

    assert settings.storage.data_dir == Path("/srv/gepeto")
    assert settings.vault.path == Path("/srv/vault")


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("http://gpu-box:11434", "http://gpu-box:11434"),
        ("127.0.0.1:11500", "http://127.0.0.1:11500"),
    ],
)
def test_ollama_host_sets_the_default_endpoint(tmp_path: Path, host: str, url: str) -> None:
    path = write(tmp_path, "")

    endpoints = load_config(path, environ={"OLLAMA_HOST": host}).settings.llm.endpoints

    assert [endpoint.url for endpoint in endpoints] == [url]


def test_issue10_item9_ollama_host_wins_over_endpoints_written_in_the_file(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        '[llm]\nendpoints = [{ name = "gpu0", url = "http://10.0.0.5:11434", max_parallel = 3 }, '
        '{ name = "gpu1", url = "http://10.0.0.6:11434" }]\n',
    )

    config = load_config(path, environ={"OLLAMA_HOST": "elsewhere:1"})

    [endpoint] = config.settings.llm.endpoints
    assert (endpoint.name, endpoint.max_parallel) == ("gpu0", 3)
    assert endpoint.url == "http://elsewhere:1"
    assert config.from_environment == {"llm.endpoints": "OLLAMA_HOST"}
    assert config.origin("llm.endpoints") == "environment variable OLLAMA_HOST"
    assert config.origin("llm.keep_alive") == "default"


def test_issue10_item9_ollama_host_wins_over_the_committed_bot_toml() -> None:
    example = Path(__file__).resolve().parents[2] / "bot.toml"

    config = load_config(example, environ={"OLLAMA_HOST": "http://ollama:11434"})

    assert [e.url for e in config.settings.llm.endpoints] == ["http://ollama:11434"]
    assert config.origin("household.name") == str(example)


def test_issue10_item9_a_gepeto_variable_is_more_specific_than_ollama_host(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "")
    endpoints = '[{"name": "gpu7", "url": "http://10.0.0.7:11434"}]'

    config = load_config(
        path, environ={"OLLAMA_HOST": "elsewhere:1", "GEPETO_LLM__ENDPOINTS": endpoints}
    )

    assert [e.name for e in config.settings.llm.endpoints] == ["gpu7"]
    assert config.origin("llm.endpoints.0.url") == "environment variable GEPETO_LLM__ENDPOINTS"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"GEPETO_SAFETY__BURST": "many"}, "GEPETO_SAFETY__BURST: safety.burst: "),
        (
            {"GEPETO_SAFETY__BRUST": "3"},
            "GEPETO_SAFETY__BRUST: safety.brust: unknown key "
            "(did you mean 'GEPETO_SAFETY__BURST'?)",
        ),
        (
            {"GEPETO_SAFTEY__BURST": "3"},
            "GEPETO_SAFTEY__BURST: saftey: unknown key (did you mean 'GEPETO_SAFETY__BURST'?)",
        ),
        (
            {"GEPETO_LLM__ENDPOINTS": '[{"url": "http://x", "max_parallel": 0}]'},
            "GEPETO_LLM__ENDPOINTS: llm.endpoints.0.max_parallel: ",
        ),
        (
            {"GEPETO_CHANNELS__TELEGRAM__ENABLED": "true"},
            "GEPETO_CHANNELS__TELEGRAM__ENABLED: channels.telegram.enabled: Telegram is enabled",
        ),
    ],
)
def test_issue10_item9_a_bad_environment_value_names_the_variable_not_the_file(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    path = write(tmp_path, "[safety]\nburst = 4\n")

    with pytest.raises(ConfigError) as raised:
        load_config(path, environ=environ)

    [line] = str(raised.value).splitlines()
    assert line.startswith(expected), line
    assert str(path) not in line


def test_issue10_item9_a_bad_value_from_dotenv_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    (tmp_path / ".env").write_text("GEPETO_SAFETY__BURST=many\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"^GEPETO_SAFETY__BURST \(\.env\): safety\.burst: "):
        load_config(path, environ={})


def test_dotenv_beside_the_file_supplies_secrets_and_settings(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nGEPETO_HOUSEHOLD__NAME=The Okafors\n", encoding="utf-8"
    )

    config = load_config(path, environ={})

    assert config.secrets.telegram_bot_token is not None
    assert config.secrets.telegram_bot_token.get_secret_value() == TOKEN
    assert config.telegram_enabled
    assert config.settings.household.name == "The Okafors"


def test_the_real_environment_wins_over_dotenv(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    (tmp_path / ".env").write_text("GEPETO_HOUSEHOLD__NAME=From dotenv\n", encoding="utf-8")

    config = load_config(path, environ={"GEPETO_HOUSEHOLD__NAME": "From the shell"})

    assert config.settings.household.name == "From the shell"


def test_matrix_turns_on_with_homeserver_user_and_a_login(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[channels.matrix]\nhomeserver = "http://127.0.0.1:8008"\nuser_id = "@gepeto:home"\n',
    )

    assert not load_config(path, environ={}).matrix_enabled
    assert load_config(path, environ={"MATRIX_ACCESS_TOKEN": "syt_abcdef"}).matrix_enabled


@pytest.mark.parametrize(
    ("toml", "environ", "key"),
    [
        ("[safety]\nconfirmaton_timeout_s = 60\n", {}, "safety.confirmaton_timeout_s"),
        ('[safety]\nconfirmation_timeout_s = "soon"\n', {}, "safety.confirmation_timeout_s"),
        ("", {"GEPETO_SAFETY__BURST": "lots"}, "safety.burst"),
        ('[household]\ntimezone = "Mars/Olympus"\n', {}, "household.timezone"),
        ('[llm]\nendpoints = [{ url = "http://x", max_parallel = 0 }]\n', {}, "llm.endpoints.0"),
        ("[safety.roles.butler]\nallow = []\n", {}, "safety.roles"),
        ("[channels.telegram]\nenabled = true\n", {}, "channels.telegram.enabled"),
        ("[channels.matrix]\nenabled = true\n", {}, "channels.matrix.enabled"),
        (
            "[channels.matrix]\nenabled = true\n",
            {"MATRIX_PASSWORD": "hunter22"},
            "channels.matrix.homeserver",
        ),
    ],
)
def test_bad_configuration_names_the_key(
    tmp_path: Path, toml: str, environ: dict[str, str], key: str
) -> None:
    path = write(tmp_path, toml)

    with pytest.raises(ConfigError) as raised:
        load_config(path, environ=environ)

    message = str(raised.value)
    assert f"{key}" in message
    assert len(message.splitlines()) == 1


def test_an_unknown_key_suggests_the_one_meant(tmp_path: Path) -> None:
    path = write(tmp_path, "[safety]\nconfirmaton_timeout_s = 60\n")

    with pytest.raises(ConfigError, match="did you mean 'confirmation_timeout_s'"):
        load_config(path, environ={})


def test_a_missing_named_file_and_broken_toml_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "elsewhere.toml", environ={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[safety\n"), environ={})


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[storage]\ndata_dri = 'x'\n", "storage.data_dri"),
        ("[safety]\nburst = 'many'\n", "safety.burst"),
        ("[channels.telegram]\nenabled = true\n", "channels.telegram.enabled"),
    ],
)
def test_bad_configuration_stops_start_up_with_one_line(
    gepeto: Gepeto, toml: str, key: str
) -> None:
    gepeto.config_path.write_text(toml, encoding="utf-8")

    result = gepeto("run")

    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Configuration error: ")
    assert key in line


@contextlib.contextmanager
def gepeto_logging(style: str, file: Path) -> Iterator[logging.Logger]:
    """Gepeto's log set-up with the token configured as a secret; the old one comes back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    logs.setup("INFO", style, [TOKEN], file)
    try:
        yield logging.getLogger("gepeto.test")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.mark.parametrize("style", ["text", "json"])
def test_secret_values_never_reach_the_log(tmp_path: Path, style: str) -> None:
    log_file = tmp_path / "gepeto.log"
    with gepeto_logging(style, log_file) as log:
        log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"401 for url https://api.telegram.org/bot{TOKEN}/getMe")
        except RuntimeError:
            log.exception("telegram refused the token")

    written = log_file.read_text(encoding="utf-8")
    assert "calling https://api.telegram.org/bot***/getMe" in written
    assert "telegram refused the token" in written
    assert "RuntimeError: 401 for url" in written
    assert TOKEN not in written


def test_secrets_are_hidden_when_the_config_is_printed(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), environ={"TELEGRAM_BOT_TOKEN": TOKEN})

    assert TOKEN not in repr(config)
    assert TOKEN not in str(config.secrets)
    assert config.secrets.values() == [TOKEN]


def test_doctor_does_not_print_the_token(gepeto: Gepeto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)

    result = gepeto("doctor")

    assert "telegram" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
