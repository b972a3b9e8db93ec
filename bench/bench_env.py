"""The throwaway environments bench/run.py runs its contenders in: the paths it uses, its
log, setup commands (output into bench/out/logs/), the Python virtualenvs, npm and Lua
installs, and Envs, which prepares what each contender needs or says why it cannot."""
import json
import os
import shutil
import subprocess
import sys
import time


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
DRIVERS = os.path.join(BENCH, "drivers")
OUT = os.path.join(BENCH, "out")
ENV = os.path.join(OUT, "env")
PUBLISH_DIR = os.path.join(ROOT, "docs", "bench")


def log(msg):
    sys.stderr.write("[bench] %s\n" % msg)
    sys.stderr.flush()


# --------------------------------------------------------------------------------------------
# Throwaway environments (each returns None when ready, or the reason it is not available)
# --------------------------------------------------------------------------------------------

def sh(cmd, log_name, cwd=ROOT, env=None, timeout=900):
    """Runs a setup command, its output into bench/out/logs/<log_name>.log; True on success."""
    os.makedirs(os.path.join(OUT, "logs"), exist_ok=True)
    path = os.path.join(OUT, "logs", log_name + ".log")
    with open(path, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        try:
            r = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, env=env, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as e:
            f.write("%s\n" % e)
            return False
    return r.returncode == 0


def tail(path, lines=3):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(l.strip() for l in f.read().strip().splitlines()[-lines:])
    except OSError:
        return ""


def venv(name, packages, log_name):
    """A venv under bench/out/env/<name> with `packages` pip-installed; (python, reason)."""
    d = os.path.join(ENV, name)
    py = os.path.join(d, "bin", "python")
    if not os.path.exists(py):
        if not sh([sys.executable, "-m", "venv", d], log_name):
            return None, "python3 -m venv failed (python3-venv missing?); see bench/out/logs/%s.log" % log_name
    if not sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check"] + packages, log_name):
        return None, "pip install %s failed: %s" % (" ".join(packages), tail(os.path.join(OUT, "logs", log_name + ".log"), 1))
    return py, None


def build_type(build):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip() or "RelWithDebInfo"
    except OSError:
        pass
    return "RelWithDebInfo"


class Envs:
    """Prepares what each contender needs; remembers a reason for what could not be prepared."""

    def __init__(self, build):
        self.build = build
        self.reasons = {}
        self.paths = {}
        self.versions = {}

    def prepare(self, wanted):
        if os.environ.get("BENCH_FRESH") and os.path.isdir(ENV):
            shutil.rmtree(ENV)
        os.makedirs(ENV, exist_ok=True)
        steps = [
            ("py-ruddercore", self.py_ruddercore),
            ("py-rudder-sdk", self.py_rudder_sdk),
            ("node", self.node),
            ("lua-5.4", lambda: self.lua("5.4", "lua5.4")),
            ("lua-luajit", lambda: self.lua("luajit", "luajit")),
            ("c-dest", self.c_dest),
            ("charts", self.charts),
        ]
        for name, step in steps:
            if name not in wanted:
                continue
            log("preparing %s ..." % name)
            t0 = time.monotonic()
            try:
                reason = step()
            except Exception as e:  # a broken environment must not stop the other contenders
                reason = "%s: %s" % (type(e).__name__, e)
            if reason:
                self.reasons[name] = reason
                log("  %s: not available (%s)" % (name, reason))
            else:
                log("  %s ready (%.0f s)" % (name, time.monotonic() - t0))

    def py_ruddercore(self):
        # The current tree, rebuilt every run so the figures are for what is checked out.
        py, reason = venv("py-ruddercore", ["--no-deps", "--force-reinstall", ROOT], "env-py-ruddercore")
        if reason:
            return reason
        r = subprocess.run([py, "-c", "import ruddercore; print(ruddercore.__version__)"],
                           capture_output=True, text=True, cwd=OUT)
        if r.returncode != 0:
            return "import ruddercore failed: " + (r.stderr.strip().splitlines() or ["?"])[-1]
        self.paths["py-ruddercore"] = py
        self.versions["ruddercore (Python)"] = r.stdout.strip()

    def py_rudder_sdk(self):
        py, reason = venv("py-rudder-sdk", ["rudder-sdk-python"], "env-py-rudder-sdk")
        if reason:
            return reason
        r = subprocess.run([py, "-c", "from rudderstack.analytics.version import VERSION; print(VERSION)"],
                           capture_output=True, text=True, cwd=OUT)
        if r.returncode != 0:
            return "import rudderstack.analytics failed"
        self.paths["py-rudder-sdk"] = py
        self.versions["rudder-sdk-python"] = r.stdout.strip()

    def node(self):
        node, npm = shutil.which("node"), shutil.which("npm")
        if not node or not npm:
            return "node/npm not installed"
        d = os.path.join(ENV, "node")
        os.makedirs(d, exist_ok=True)
        pkg = os.path.join(d, "package.json")
        if not os.path.exists(pkg):
            with open(pkg, "w") as f:
                f.write('{"name": "ruddercore-bench-peers", "private": true}\n')
        if not sh([npm, "install", "--no-audit", "--no-fund", "--loglevel=error",
                   "@rudderstack/rudder-sdk-node", "@walkeros/core"], "env-node", cwd=d):
            return "npm install failed: " + tail(os.path.join(OUT, "logs", "env-node.log"), 1)
        self.paths["node"] = node
        self.paths["node-dir"] = d
        for p in ("@rudderstack/rudder-sdk-node", "@walkeros/core"):
            with open(os.path.join(d, "node_modules", p, "package.json")) as f:
                self.versions[p] = json.load(f)["version"]
        self.versions["node"] = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()

    def lua(self, variant, interpreter):
        exe = shutil.which(interpreter)
        if not exe:
            return "%s not installed" % interpreter
        d = os.path.join(OUT, "build-lua-" + variant)
        log_name = "env-lua-" + variant
        if not sh(["cmake", "-S", ROOT, "-B", d, "-DCMAKE_BUILD_TYPE=" + build_type(self.build),
                   "-DRUDDERCORE_CLI=OFF", "-DRUDDERCORE_LUA=" + variant]
                  + (["-G", "Ninja"] if shutil.which("ninja") else []), log_name):
            return "cmake configure of the Lua module failed: " + tail(os.path.join(OUT, "logs", log_name + ".log"), 1)
        if not sh(["cmake", "--build", d, "-j2", "--target", "ruddercore_lua"], log_name):
            return "Lua module does not build: " + tail(os.path.join(OUT, "logs", log_name + ".log"), 1)
        # bench/bench_lua_nginx.sh takes one LuaJIT build dir holding the data plane as well
        if variant == "luajit" and sh(["cmake", "--build", d, "-j2", "--target", "rudder-dataplane"], log_name):
            self.paths["luajit-build-with-dataplane"] = d
        mod_dir = os.path.join(d, "bindings", "lua")
        clock_dir = os.path.join(OUT, "lua-" + variant)
        os.makedirs(clock_dir, exist_ok=True)
        inc = "/usr/include/luajit-2.1" if variant == "luajit" else "/usr/include/lua5.4"
        r = subprocess.run(["pkg-config", "--cflags", "luajit" if variant == "luajit" else "lua5.4"],
                           capture_output=True, text=True)
        cflags = r.stdout.split() if r.returncode == 0 else ["-I" + inc]
        cc = os.environ.get("CC", "cc")
        if not sh([cc, "-O2", "-shared", "-fPIC"] + cflags + [os.path.join(DRIVERS, "benchclock.c"),
                  "-o", os.path.join(clock_dir, "benchclock.so")], log_name):
            return "benchclock.c does not build"
        self.paths["lua-" + variant] = exe
        self.paths["lua-cpath-" + variant] = "%s/?.so;%s/?.so" % (mod_dir, clock_dir)
        ver = subprocess.run([exe, "-v"], capture_output=True, text=True)
        self.versions[interpreter] = (ver.stdout + ver.stderr).strip().split(" --")[0].split("  ")[0]

    def c_dest(self):
        """bench/drivers/c_dest_push.c linked against the build's static library."""
        lib = os.path.join(self.build, "libruddercore.a")
        if not os.path.exists(lib):
            return "%s not built" % lib
        # the library's own dependencies, as its generated ruddercore.pc lists them (hiredis
        # when the build found it)
        deps = ["libcurl", "libcjson", "zlib"]
        pc = os.path.join(self.build, "ruddercore.pc")
        if os.path.exists(pc):
            for line in open(pc):
                if line.startswith("Requires.private:"):
                    deps = line.split(":", 1)[1].split()
        r = subprocess.run(["pkg-config", "--libs"] + deps, capture_output=True, text=True)
        if r.returncode != 0:
            return "pkg-config does not find " + "/".join(deps)
        exe = os.path.join(OUT, "c_dest_push")
        if not sh([os.environ.get("CC", "cc"), "-O2", "-std=c11", "-I" + os.path.join(ROOT, "core", "include"),
                   os.path.join(DRIVERS, "c_dest_push.c"), lib] + r.stdout.split() + ["-lpthread", "-lm", "-o", exe],
                  "env-c-dest"):
            return "c_dest_push.c does not build: " + tail(os.path.join(OUT, "logs", "env-c-dest.log"), 1)
        self.paths["c-dest"] = exe

    def charts(self):
        py, reason = venv("charts", ["matplotlib"], "env-charts")
        if reason:
            return reason
        self.paths["charts"] = py
