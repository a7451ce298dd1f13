"""The README fits on a screen and links into the docs; the runner of their code blocks can fail.

The code blocks themselves are collected from README.md and docs/ by the root conftest.py;
these tests check that runner on small pages of their own.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from unittest import SkipTest

from sybil import Document
from sybil.example import SybilFailure

ROOT = Path(__file__).resolve().parents[2]


def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_runner", ROOT / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate(tmp_path: Path, text: str) -> list[str]:
    """Run each example of the page; what happened to each, in order."""
    conftest = runner()
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    document = Document.parse(str(path), *conftest.PARSERS)
    conftest._setup("mymod")(document.namespace)
    outcomes = []
    try:
        for example in document.examples():
            try:
                example.evaluate()
            except SybilFailure as failure:
                outcomes.append(f"failed: {failure.result}")
            except SkipTest as skip:
                outcomes.append(f"skipped: {skip}")
            except Exception as error:  # the block raised: what pytest reports as a failure
                outcomes.append(f"raised: {type(error).__name__}")
            else:
                outcomes.append("passed")
    finally:
        conftest._teardown(document.namespace)
    return outcomes


PAGE = """# A page

```python
>>> 1 + 1
3

```

```python
print("hello")
```

```text title="Output"
goodbye
```

```bash
echo "$((2 + 2))"
```

prints:

```text title="Output"
4
```

```bash
exit 3
```

```python
class Net:
    pass
```

```python
>>> Net.__module__, __import__("mymod").Net is Net
('mymod', True)

```

<!-- skip: next "needs a GPU" -->
```python
raise RuntimeError("not run")
```

```js
console.log(1)
```

```text title="Output"
shown after no code block
```
"""


def test_each_kind_of_block_runs_and_a_wrong_output_fails(tmp_path):
    page = tmp_path / "page.md"
    assert evaluate(tmp_path, PAGE) == [
        "failed: Expected:\n    3\nGot:\n    2\n",
        "failed: the block printed:\nhello\n\nbut its Output block shows:\ngoodbye\n",
        "passed",
        "raised: AssertionError",  # a non-zero exit status
        "passed",
        "passed",  # a class defined in a page imports from the page's module
        "passed",  # the skip directive itself
        "skipped: needs a GPU",
        f"failed: {page}, line 47: a 'js' block is not run by the tests: write it as python, bash or an Output block",
        f"failed: {page}, line 51: an Output block follows no code block",
    ]


def test_the_readme_fits_on_a_screen():
    assert len((ROOT / "README.md").read_bytes()) <= 8 * 1024


def test_every_link_in_the_readme_leads_to_a_file_of_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert targets, "the README links into the docs"
    assert [target for target in targets if not (ROOT / target).is_file()] == []
