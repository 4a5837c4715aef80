"""The recap HTML (product.md §3.7): one jinja2 environment, the workspace's templates before the shipped ones.

``templates/`` at the top of the repository is shipped as the package
``sopkinerja.templates``; a workspace may override any one of its files in its
own ``templates/`` folder (``berkas.templat``), searched first.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def environment(user_templates: Path | None):
    """The one jinja2 Environment: the workspace's templates first, then the shipped ones."""
    import jinja2

    loaders = []
    if user_templates is not None and Path(user_templates).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders.append(jinja2.FileSystemLoader(str(shipped_templates())))
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              bytecode_cache=_bytecode_cache())


def _bytecode_cache():
    """Compiled templates kept in the user's temporary folder (jinja's own per-user cache, checked
    against the template's source): compiling the recap's template cost 0.2 s of every run."""
    import jinja2

    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # no usable temporary folder: compile each time
        return None


def shipped_templates() -> Path:
    try:
        return Path(str(resources.files("sopkinerja.templates")))
    except ModuleNotFoundError:  # running from a source tree that was not installed
        return Path(__file__).resolve().parents[2] / "templates"


def render(view, labels: dict[str, str], user_templates: Path | None) -> str:
    """``recap.html.j2`` with ``recap.css`` inlined; ``v`` the view, ``t`` the catalogue's recap labels."""
    env = environment(user_templates)
    view.css = env.loader.get_source(env, "recap.css")[0]
    return env.get_template("recap.html.j2").render(v=view, t=labels)
