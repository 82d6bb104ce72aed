"""What a Spark session ships to executors on other hosts."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from ecomlab.warehouse.spark import package_zip


def test_the_package_zip_holds_every_module_and_imports_from_the_zip_alone(tmp_path):
    archive = package_zip(tmp_path)
    names = set(zipfile.ZipFile(archive).namelist())
    assert {
        "ecomlab/__init__.py",
        "ecomlab/settings.py",
        "ecomlab/warehouse/ods.py",
        "ecomlab/conf/cluster.yaml",
    } <= names
    assert not any("__pycache__" in n for n in names)

    # -S: no site-packages, so the import can only come from the zip (as on an executor).
    probe = f"import sys; sys.path.insert(0, {str(archive)!r}); import ecomlab; print(ecomlab.__file__)"
    out = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.strip().startswith(str(archive))
