"""Every environment variable clinic/settings.py reads is in .env.example and the README's table."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS = {"getenv", "envbool", "envint", "envlist", "get"}


def settings_read(source):
    """The names of the environment variables a settings module reads, in order."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            environ_get = name != "get" or ast.unparse(func.value) == "os.environ"
            first = node.args[0] if node.args else None
            if name in READERS and environ_get and isinstance(first, ast.Constant):
                names.append(first.value)
            names += [
                k.value.value
                for k in node.keywords
                if k.arg == "env" and isinstance(k.value, ast.Constant)
            ]
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.append(node.slice.value)
    return list(dict.fromkeys(names))


def env_example_names(text):
    """Variables set or shown commented out (`# NAME=default`) in .env.example."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def readme_table_names(text):
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.MULTILINE))


def undocumented(settings_source, env_example, readme):
    read = settings_read(settings_source)
    return (
        [n for n in read if n not in env_example_names(env_example)],
        [n for n in read if n not in readme_table_names(readme)],
    )


def test_every_setting_is_in_env_example_and_the_readme():
    read = settings_read((ROOT / "clinic/settings.py").read_text())
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "DJANGO_ENV_FILE"} <= set(read)
    assert len(read) >= 25
    missing = undocumented(
        (ROOT / "clinic/settings.py").read_text(),
        (ROOT / ".env.example").read_text(),
        (ROOT / "README.md").read_text(),
    )
    assert missing == ([], []), f"not in .env.example: {missing[0]}; not in README: {missing[1]}"


def test_a_new_setting_left_out_is_found():
    source = (ROOT / "clinic/settings.py").read_text() + '\nX = envint("CLINIC_NEW_THING", "1")\n'
    source += 'Y = os.environ["CLINIC_OTHER"]\nZ = os.environ.get("CLINIC_THIRD")\n'
    missing = undocumented(
        source, (ROOT / ".env.example").read_text(), (ROOT / "README.md").read_text()
    )
    assert missing == (["CLINIC_NEW_THING", "CLINIC_OTHER", "CLINIC_THIRD"],) * 2
