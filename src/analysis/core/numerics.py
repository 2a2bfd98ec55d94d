"""Portable floating-point arithmetic, so that the same data gives the same themes on any machine.

Why this exists
---------------
PyTorch, Intel MKL, OpenBLAS and numba each pick the widest vector instructions
the CPU offers (AVX2 on most laptops, AVX-512 or AMX on recent servers). Sums
taken in a different order round differently, so the same sentence gets an
embedding that differs in the seventh decimal from one machine to the next, and
UMAP and HDBSCAN amplify such differences into different themes. Measured here:
the 7,400 real FFT comments embedded on an AVX-512 machine and with AVX2 code
paths differed by up to 3e-7 per number, and a theme fit on identical vectors
gave 30 themes with the host's numba code and 32 with AVX2 code. An analyst's
theme decisions (``config/reviews``) are tied to theme ids, so a refit on
another machine must give the same themes for those decisions to apply.

Since the theme book (:mod:`analysis.themes.book`) this is opt-in
---------------------------------------------------------------
Theme ids no longer rest on refitting: a cycle's answers are *assigned* to the committed
theme book by centroid similarity rounded to four decimals, and differences of 1e-7
cannot change a rounded comparison except exactly at a rounding boundary. Measured on
this project's machine: the 1,500 FFT comments embedded with and without the pins
differed by at most 1.7e-7 per number (cosine 0.9999998). So the default is now the
host's fastest code (``INVOLVEMENT_NUMERICS=host``); set ``INVOLVEMENT_NUMERICS=portable``
to pin the AVX2 code paths as before, for bit-identical embeddings across machines
(candidate themes found by UMAP/HDBSCAN are then identical too).

What "portable" does
--------------------
Importing this module (or anything in :mod:`analysis`) changes nothing. The entry
points apply the pins before numpy, torch or numba load: ``python -m analysis``
(:mod:`analysis.__main__`), the kernels the report runner starts (their kernel
spec carries the variables), ``make lab`` and the benchmarks. With the mode set to
"portable" they set the environment variables below, unless already set, so that
every library uses the AVX2 code path whatever the CPU:

- ``ATEN_CPU_CAPABILITY=avx2``: PyTorch's own kernels (softmax, layer norm, GELU);
- ``MKL_CBWR=AVX2,STRICT``: Intel MKL's conditional numerical reproducibility
  (matrix products in the encoder; bit-identical on Intel CPUs with AVX2);
- ``OPENBLAS_CORETYPE=Haswell``: numpy's matrix products (the kNN graph);
- ``NUMBA_CPU_NAME=haswell``: UMAP's compiled kernels.

This costs speed on CPUs with wider vectors (fp32 encoding 339 -> 216
comments/s on the AVX-512 machine of this project). Pinning is only done on x86-64
CPUs with AVX2. MKL's AVX2 branch is exact only on Intel CPUs; AMD CPUs fall back to
MKL's own dispatch for matrix products.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import MutableMapping
from pathlib import Path

#: Environment variable choosing the mode: "host" (default) or "portable".
MODE_VARIABLE = "INVOLVEMENT_NUMERICS"
MODES = ("portable", "host")
DEFAULT_MODE = "host"

#: Variable -> value pinning each library to its AVX2 code path.
PORTABLE_ENV: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2,STRICT",
    "OPENBLAS_CORETYPE": "Haswell",
    "NUMBA_CPU_NAME": "haswell",
}

#: Library (module name) that reads each variable when it is first imported.
_READ_BY = {"ATEN_CPU_CAPABILITY": "torch", "MKL_CBWR": "torch", "OPENBLAS_CORETYPE": "numpy",
            "NUMBA_CPU_NAME": "numba"}

_state: dict[str, str] = {}


def cpu_has_avx2(machine: str | None = None, cpuinfo: str | None = None) -> bool:
    """Whether this is an x86-64 CPU with AVX2 (read from ``/proc/cpuinfo`` on Linux).

    Parameters
    ----------
    machine
        ``platform.machine()``; passed in tests.
    cpuinfo
        Text of ``/proc/cpuinfo``; read when None. Where it cannot be read (macOS,
        Windows) an x86-64 CPU is assumed to have AVX2 (nearly every one of the last decade).
    """
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64"):
        return False
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return True
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    return "avx2" in flags.split(":", 1)[-1].split()


def pin_portable_numerics(environ: MutableMapping[str, str] | None = None, *,
                          loaded_modules: set[str] | None = None, avx2: bool | None = None) -> str:
    """Set the variables of :data:`PORTABLE_ENV` (where unset) and return the mode in effect.

    Parameters
    ----------
    environ
        The environment to change; ``os.environ`` when None.
    loaded_modules
        Names of modules already imported; ``sys.modules`` when None. A library
        loaded before its variable was set has already chosen its code path.
    avx2
        Whether the CPU runs AVX2 code; detected when None.

    Returns
    -------
    str
        ``"portable"`` when every library will use its AVX2 path; ``"host"`` when
        the user chose it, the CPU is not x86-64 with AVX2, a variable was set to
        another value by the user, or a library was loaded before its variable.

    Raises
    ------
    ValueError
        ``INVOLVEMENT_NUMERICS`` holds something other than "portable" or "host".
    """
    env = os.environ if environ is None else environ
    loaded = set(sys.modules) if loaded_modules is None else loaded_modules
    mode = env.get(MODE_VARIABLE, DEFAULT_MODE).strip().lower()
    if mode not in MODES:
        raise ValueError(f"{MODE_VARIABLE} must be one of {MODES}, got {env[MODE_VARIABLE]!r}")
    if mode == "host" or not (cpu_has_avx2() if avx2 is None else avx2):
        return "host"
    portable = True
    for name, value in PORTABLE_ENV.items():
        if name not in env:
            if _READ_BY[name] in loaded:
                portable = False  # too late: the library read the environment on import
                continue
            env[name] = value
        elif env[name] != value:
            portable = False
    return "portable" if portable else "host"


def numerics_mode(environ: MutableMapping[str, str] | None = None) -> str:
    """The arithmetic this process computes with: "portable" or "host" (see the module notes).

    "portable" when an entry point applied the pins in this process
    (:func:`apply_portable_numerics`), or when this process was started with every
    variable of :data:`PORTABLE_ENV` already set (a report kernel, ``make lab``);
    "host" otherwise. Reading the mode changes nothing.
    """
    if "mode" in _state:
        return _state["mode"]
    env = os.environ if environ is None else environ
    if env.get(MODE_VARIABLE, DEFAULT_MODE).strip().lower() == "host":
        return "host"
    return "portable" if all(env.get(k) == v for k, v in PORTABLE_ENV.items()) else "host"


def apply_portable_numerics() -> str:
    """Entry points only: pin this process's libraries (see :func:`pin_portable_numerics`) and remember the mode.

    Call before numpy, torch or numba are imported. A typo in ``INVOLVEMENT_NUMERICS``
    prints one line and exits with code 2 (a configuration error, not a traceback).
    """
    try:
        _state["mode"] = pin_portable_numerics()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return _state["mode"]


def portable_kernel_env() -> dict[str, str]:
    """Variables a notebook kernel must start with to compute like ``make report`` (empty in host mode).

    Raises ``ValueError`` for a typo in ``INVOLVEMENT_NUMERICS``; never changes this process.
    """
    env = dict(os.environ)
    pinned = pin_portable_numerics(env, loaded_modules=set())
    if pinned != "portable":
        return {}
    return {MODE_VARIABLE: "portable", **{name: env[name] for name in PORTABLE_ENV}}


def exec_with_portable_numerics(command: list[str]) -> None:
    """Replace this process with ``command``, run with the portable arithmetic pinned.

    ``make lab`` starts JupyterLab this way, so that notebook kernels compute as the
    report runner does, whatever order a notebook imports its libraries in.
    """
    apply_portable_numerics()
    os.execvp(command[0], command)  # noqa: S606 - the user's own command, by design
