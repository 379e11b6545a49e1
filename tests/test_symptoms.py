"""The symptom declaration (tracker/symptoms.py): what every list of symptoms reads."""

from pathlib import Path

from tracker import symptoms


def contrast_ratio(colour, background="#ffffff"):
    """WCAG 2 contrast ratio between two #rrggbb colours."""

    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_symptom_colours_have_enough_contrast_on_white():
    # 3:1 for graphics (WCAG 1.4.11): the chart's lines and markers.
    for symptom in symptoms.SYMPTOMS:
        assert contrast_ratio(symptom.colour) >= 3, symptom.name


def test_symptom_styles_differ_in_more_than_colour():
    count = len(symptoms.SYMPTOMS)
    assert len({s.dash for s in symptoms.SYMPTOMS}) == count
    assert len({s.marker for s in symptoms.SYMPTOMS}) == count


def test_symptom_names_are_spelled_only_in_their_homes():
    # The declaration, the model's columns and the learn pages' prose name the symptoms;
    # every other file loops over symptoms.SYMPTOMS. ("pain" is an everyday word, so the
    # check looks for the others.)
    root = Path(__file__).resolve().parent.parent
    allowed = {root / "tracker" / "symptoms.py", root / "tracker" / "models.py"}
    found = []
    for folder in ("clinic", "tracker", "templates", "scripts", "static"):
        for path in (root / folder).rglob("*"):
            if not path.is_file() or path.suffix not in {
                ".py",
                ".html",
                ".svg",
                ".txt",
                ".css",
                ".js",
                ".lua",
            }:
                continue
            if path in allowed or "migrations" in path.parts or "content" in path.parts:
                continue
            text = path.read_text(encoding="utf-8").lower()
            found += [
                f"{path.relative_to(root)}: {s.name}"
                for s in symptoms.SYMPTOMS[1:]
                if s.name in text
            ]
    assert not found, found
