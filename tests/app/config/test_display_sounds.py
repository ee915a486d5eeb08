"""[console] display fields, [wall] and [sounds]: defaults, a full file, and errors by line."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from app.config import Config, ConfigError, Sound, SoundEvent, load_config
from app.config.display import Density, Rotation
from app.config.sounds import DEFAULT_QUIET_ALLOW, QuietHours

FULL = """\
[console]
operator = "ana"
theme = "high-contrast"
font_scale = 1.25
density = "compact"

[wall]
theme = "wall-theme.toml"
font_scale = 2
screen = "DP-2"
rotate = ["customers", "pages"]
rotate_every = "1m"

[sounds]
enabled = true
P1 = "alarm"
P2 = "sounds/siren.wav"
P3 = "ping"
P4 = "none"
breach = "chime"
escalation = "none"
quiet_hours = "22:00-07:00"
quiet_hours_allow = ["P1", "breach", "escalation"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "noc-console.toml"
    path.write_text(text)
    return path


def test_without_the_sections_everything_has_its_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[console]\noperator = "ana"\n'))
    operator, wall = config.display.operator, config.display.wall
    assert (operator.theme, operator.font_scale, operator.density) == (
        "light",
        1.0,
        Density.COMFORTABLE,
    )
    assert (wall.theme, wall.font_scale, wall.screen, wall.rotate, wall.rotate_every) == (
        "dark",
        1.0,
        0,
        (),
        timedelta(seconds=30),
    )
    sounds = config.sounds
    assert sounds.enabled
    assert sounds.sound_for(SoundEvent.P1) == Sound("alarm")
    assert sounds.sound_for(SoundEvent.P2) == Sound("chime")
    assert sounds.sound_for(SoundEvent.P3) is None
    assert sounds.sound_for(SoundEvent.BREACH) == Sound("alarm")
    assert sounds.sound_for(SoundEvent.ESCALATION) is None
    assert sounds.quiet_hours is None
    assert sounds.quiet_hours_allow == DEFAULT_QUIET_ALLOW
    assert Config.demo().sounds == Config().sounds


def test_every_field_is_read(tmp_path: Path) -> None:
    (tmp_path / "wall-theme.toml").write_text("# a site's own theme\n")
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "siren.wav").write_bytes(b"RIFF")
    config = load_config(write(tmp_path, FULL))
    assert config.operator == "ana"
    operator, wall = config.display.operator, config.display.wall
    assert (operator.theme, operator.font_scale, operator.density) == (
        "high-contrast",
        1.25,
        Density.COMPACT,
    )
    assert wall.theme == tmp_path / "wall-theme.toml"
    assert (wall.font_scale, wall.screen) == (2.0, "DP-2")
    assert wall.rotate == (Rotation.CUSTOMERS, Rotation.PAGES)
    assert wall.rotate_every == timedelta(minutes=1)
    sounds = config.sounds
    assert sounds.sound_for(SoundEvent.P2) == Sound("siren.wav", tmp_path / "sounds" / "siren.wav")
    assert sounds.sound_for(SoundEvent.P3) == Sound("ping")
    assert sounds.sound_for(SoundEvent.P4) is None
    assert sounds.sound_for(SoundEvent.BREACH) == Sound("chime")
    assert sounds.quiet_hours == QuietHours(time(22), time(7))
    assert str(sounds.quiet_hours) == "22:00-07:00"
    assert sounds.quiet_hours_allow == {SoundEvent.P1, SoundEvent.BREACH, SoundEvent.ESCALATION}


def test_a_screen_by_number_and_sounds_off(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, '[wall]\nscreen = 1\nrotate = ["pages"]\n[sounds]\nenabled = false\n')
    )
    assert config.display.wall.screen == 1
    assert config.display.wall.rotate == (Rotation.PAGES,)
    assert not config.sounds.enabled


def test_the_wall_may_rotate_through_the_metrics_page(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[wall]\nrotate = ["customers", "metrics"]\n'))
    assert config.display.wall.rotate == (Rotation.CUSTOMERS, Rotation.METRICS)


def test_quiet_hours_may_cross_midnight_or_not() -> None:
    night = QuietHours(time(22), time(7))
    assert time(23, 30) in night
    assert time(0, 0) in night
    assert time(6, 59) in night
    assert time(7, 0) not in night
    assert time(21, 59) not in night
    assert time(22, 0) in night
    lunch = QuietHours(time(12), time(13, 30))
    assert time(12, 45) in lunch
    assert time(13, 30) not in lunch
    assert time(2, 0) not in lunch


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[console]\noperator = "a"\ntheme = "purple"\n',
            r":3: console.theme: unknown theme 'purple'",
        ),
        ('[console]\ntheme = "mine.toml"\n', r":2: console.theme: theme file not found"),
        (
            "[console]\nfont_scale = 5\n",
            r":2: console.font_scale: expected a number from 0.5 to 4.0",
        ),
        ("[console]\nfont_scale = true\n", r":2: console.font_scale: expected a number"),
        ('[console]\ndensity = "tight"\n', r":2: console.density: unknown density 'tight'"),
        ('[console]\ncolour = "red"\n', r":2: console.colour: unknown field"),
        ("[wall]\n\nscreen = -1\n", r":3: wall.screen: expected a screen number"),
        ('[wall]\nrotate = ["incidents"]\n', r":2: wall.rotate: expected a list of \"customers\""),
        ('[wall]\nrotate = "pages"\n', r":2: wall.rotate: expected a list"),
        (
            '[wall]\nrotate = ["pages", "pages"]\n',
            r":2: wall.rotate: each of customers, pages and metrics",
        ),
        ('[wall]\nrotate_every = "2s"\n', r":2: wall.rotate_every: at least 5s"),
        ('[wall]\nrotate_every = "soon"\n', r":2: wall.rotate_every: not a duration"),
        ('[wall]\nsize = "4K"\n', r":2: wall.size: unknown field"),
        ('wall = "big"\n', r":1: wall: expected a table"),
        ('[sounds]\nP1 = "siren"\n', r":2: sounds.P1: unknown sound 'siren'"),
        (
            '[sounds]\nP2 = "chime"\nbreach = "gone.wav"\n',
            r":3: sounds.breach: sound file not found: .*gone.wav",
        ),
        ("[sounds]\nP1 = 1\n", r":2: sounds.P1: expected a sound"),
        ('[sounds]\np1 = "alarm"\n', r":2: sounds.p1: unknown field"),
        ('[sounds]\nenabled = "yes"\n', r":2: sounds.enabled: expected true or false"),
        ('[sounds]\nquiet_hours = "10pm-7am"\n', r":2: sounds.quiet_hours: expected local times"),
        ('[sounds]\nquiet_hours = "22:00-25:00"\n', r":2: sounds.quiet_hours: hours run 00-23"),
        (
            '[sounds]\nquiet_hours = "07:00-07:00"\n',
            r":2: sounds.quiet_hours: the span starts where",
        ),
        (
            '[sounds]\nquiet_hours_allow = ["P1", "page"]\n',
            r":2: sounds.quiet_hours_allow: expected a list",
        ),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=r"noc-console.toml" + expected) as caught:
        load_config(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_a_relative_wav_is_found_beside_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "klaxon.wav").write_bytes(b"RIFF")
    path = folder / "noc-console.toml"
    path.write_text('[sounds]\nbreach = "klaxon.wav"\nquiet_hours_allow = []\n')
    config = load_config(path)
    assert config.sounds.sound_for(SoundEvent.BREACH) == Sound("klaxon.wav", folder / "klaxon.wav")
    assert config.sounds.quiet_hours_allow == frozenset()


def test_the_readme_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Displays and sounds", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = load_config(write(tmp_path, example))
    assert config.display.wall.screen == "DP-2"
    assert config.display.wall.rotate == (Rotation.CUSTOMERS, Rotation.PAGES)
    assert config.sounds.quiet_hours == QuietHours(time(22), time(7))
    # the rest of the example is the defaults, as the README says
    assert config.display.operator == Config().display.operator
    assert config.sounds.sounds == Config().sounds.sounds
