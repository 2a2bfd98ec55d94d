"""Portable arithmetic: the environment that makes every library use its AVX2 code path."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis.core import numerics

CPUINFO_AVX2 = "processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma avx512f\n"
CPUINFO_OLD = "processor\t: 0\nflags\t\t: fpu sse sse2 sse4_2 avx\n"


@pytest.mark.parametrize(
    ("machine", "cpuinfo", "expected"),
    [("x86_64", CPUINFO_AVX2, True), ("x86_64", CPUINFO_OLD, False), ("AMD64", CPUINFO_AVX2, True),
     ("arm64", CPUINFO_AVX2, False), ("aarch64", "flags : fp asimd", False)],
)
def test_avx2_is_detected_from_the_cpu_flags(machine: str, cpuinfo: str, expected: bool) -> None:
    assert numerics.cpu_has_avx2(machine, cpuinfo) is expected


PORTABLE = {numerics.MODE_VARIABLE: "portable"}


def test_the_default_is_the_hosts_own_arithmetic() -> None:
    env: dict[str, str] = {}
    assert numerics.pin_portable_numerics(env, loaded_modules=set(), avx2=True) == "host" and env == {}


def test_pinning_sets_every_variable_before_the_libraries_load() -> None:
    env: dict[str, str] = {"PATH": "/usr/bin", **PORTABLE}
    assert numerics.pin_portable_numerics(env, loaded_modules=set(), avx2=True) == "portable"
    assert {k: env[k] for k in numerics.PORTABLE_ENV} == numerics.PORTABLE_ENV
    assert env["PATH"] == "/usr/bin"


def test_a_library_loaded_too_early_or_a_users_own_value_means_host_arithmetic() -> None:
    env: dict[str, str] = dict(PORTABLE)
    # numpy already chose its BLAS kernels: the run is not portable, and we say so.
    assert numerics.pin_portable_numerics(env, loaded_modules={"numpy"}, avx2=True) == "host"
    assert "OPENBLAS_CORETYPE" not in env and env["ATEN_CPU_CAPABILITY"] == "avx2"
    own = {"MKL_CBWR": "AUTO", **PORTABLE}
    assert numerics.pin_portable_numerics(own, loaded_modules=set(), avx2=True) == "host"
    assert own["MKL_CBWR"] == "AUTO"  # never overwritten


def test_host_mode_and_cpus_without_avx2_are_left_alone() -> None:
    env = {numerics.MODE_VARIABLE: "host"}
    assert numerics.pin_portable_numerics(env, loaded_modules=set(), avx2=True) == "host"
    assert set(env) == {numerics.MODE_VARIABLE}
    bare: dict[str, str] = {}
    assert numerics.pin_portable_numerics(bare, loaded_modules=set(), avx2=False) == "host"
    assert bare == {}


def test_a_typo_in_the_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match="INVOLVEMENT_NUMERICS must be one of"):
        numerics.pin_portable_numerics({numerics.MODE_VARIABLE: "portabel"}, loaded_modules=set(), avx2=True)


def _probe(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if k not in numerics.PORTABLE_ENV and k != numerics.MODE_VARIABLE}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env},
                          timeout=300)


@pytest.mark.skipif(not numerics.cpu_has_avx2(), reason="portable arithmetic is pinned only on x86-64 with AVX2")
@pytest.mark.slow
def test_the_entry_point_puts_torch_and_numba_on_the_avx2_path() -> None:
    proc = _probe("from analysis.core.numerics import apply_portable_numerics, numerics_mode; "
                  "apply_portable_numerics(); import torch, numba; "
                  "print(numerics_mode(), torch.backends.cpu.get_cpu_capability(), numba.config.CPU_NAME)",
                  **PORTABLE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["portable", "AVX2", "haswell"]


@pytest.mark.slow
def test_importing_every_module_leaves_the_environment_unchanged() -> None:
    proc = _probe("import os, importlib, pkgutil, analysis; before = dict(os.environ); "
                  "[importlib.import_module(m.name) for m in pkgutil.walk_packages(analysis.__path__, 'analysis.') "
                  "if not m.name.endswith('__main__')]; "
                  "from analysis.core.numerics import numerics_mode; "
                  "print(dict(os.environ) == before, numerics_mode())")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "host"]


def test_a_kernel_started_with_the_pins_reports_portable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(numerics.MODE_VARIABLE, "portable")
    env = numerics.portable_kernel_env()
    if not env:
        pytest.skip("portable arithmetic is pinned only on x86-64 with AVX2")
    proc = _probe("from analysis.core.numerics import numerics_mode; print(numerics_mode())", **env)
    assert proc.stdout.split() == ["portable"], proc.stderr


def test_a_typo_in_the_mode_stops_with_one_line() -> None:
    proc = _probe("import sys; sys.argv = ['analysis', '--help']; import runpy; "
                  "runpy.run_module('analysis', run_name='__main__')", INVOLVEMENT_NUMERICS="fastest")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: INVOLVEMENT_NUMERICS must be one of ('portable', 'host'), got 'fastest'"]
