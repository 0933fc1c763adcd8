"""Every public package exports exactly what it names, and nothing private leaks out."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import esorm

pytestmark = pytest.mark.unit

PUBLIC_PACKAGES = [
    name
    for _, name, is_package in pkgutil.iter_modules(esorm.__path__, "esorm.")
    if not name.rsplit(".", 1)[1].startswith("_")
]


@pytest.mark.parametrize("package_name", ["esorm", *PUBLIC_PACKAGES])
def test_all_names_exist_and_are_public(package_name: str) -> None:
    package = importlib.import_module(package_name)
    exported = getattr(package, "__all__", None)
    assert exported is not None, f"{package_name} has no __all__"
    assert len(exported) == len(set(exported)), f"{package_name}.__all__ repeats a name"
    for name in exported:
        assert not name.startswith("_"), f"{package_name} exports private {name}"
        assert hasattr(package, name), f"{package_name}.__all__ names missing {name}"


@pytest.mark.parametrize("package_name", ["esorm", *PUBLIC_PACKAGES])
def test_exported_objects_come_from_the_package_not_a_private_path_of_another(
    package_name: str,
) -> None:
    package = importlib.import_module(package_name)
    for name in package.__all__:
        module = getattr(getattr(package, name), "__module__", None) or ""
        if module.startswith("esorm."):
            assert (
                module == package_name
                or module.startswith(package_name + ".")
                or (package_name == "esorm")
            ), f"{package_name}.{name} is defined in {module}, outside the package"


def test_domain_imports_pydantic_only() -> None:
    import ast
    from pathlib import Path

    domain = Path(esorm.__file__).parent / "domain"
    for source in domain.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for imported in names:
                    root = imported.split(".")[0]
                    assert root not in {"elasticsearch", "elastic_transport"}, (
                        f"{source.name} imports {imported}: the domain must not know Elasticsearch"
                    )
                    if root == "esorm":
                        assert imported.startswith(("esorm.domain", "esorm._internal")), (
                            f"{source.name} imports {imported}"
                        )


def test_shared_internals_import_no_other_esorm_package() -> None:
    """`esorm._internal` sits below every package (the domain too), so it imports none."""
    import ast
    from pathlib import Path

    internal = Path(esorm.__file__).parent / "_internal"
    for source in internal.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in {"elasticsearch", "elastic_transport"}
                if node.module.startswith("esorm"):
                    assert node.module.startswith("esorm._internal"), (
                        f"_internal/{source.name} imports {node.module}"
                    )
