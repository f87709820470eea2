# r53emu in a container: answers DNS as Route 53 would for the hosted zones in /zones, on
# 0.0.0.0:53 over UDP and TCP, with the admin HTTP API on 0.0.0.0:8053. The bundled demo zones
# are the default; mount your own over them (edits reload by themselves):
#
#   docker build -t r53emu .
#   docker run --rm -p 5353:53/udp -p 5353:53/tcp -p 8053:8053 -v "$PWD/zones:/zones:ro" r53emu
#   dig @127.0.0.1 -p 5353 www.example.test A
#   curl http://127.0.0.1:8053/healthz
#
# Flags go after the image name (`docker run r53emu --log-level DEBUG`); every flag is also an
# R53EMU_* variable (`docker run -e R53EMU_LOG_LEVEL=DEBUG r53emu`).
# tests/integration/test_container.py replays this file's install, entrypoint and HEALTHCHECK in a
# clean virtualenv.
FROM python:3.12-slim

# No .pyc files written at run time, logs unbuffered (`docker logs` shows them at once),
# and pip quiet about running as root during the build.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The unprivileged user r53emu runs as (numeric in USER below, so Kubernetes' runAsNonRoot
# can verify it). First, as it never changes: this layer stays cached.
RUN groupadd --system --gid 10001 r53emu \
    && useradd --system --uid 10001 --gid r53emu --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin r53emu

WORKDIR /src

# Dependencies first, from pyproject.toml alone, with an empty stand-in package: editing the
# code below does not download them again, only a change to pyproject.toml does.
COPY pyproject.toml README.md ./
RUN mkdir r53emu && touch r53emu/__init__.py \
    && pip install --no-cache-dir . \
    && pip uninstall --yes r53emu \
    && rm -rf r53emu build r53emu.egg-info

# Then the package itself (its dependencies are already there).
COPY r53emu/ ./r53emu/
RUN pip install --no-cache-dir --no-deps . \
    && pip check \
    && rm -rf build r53emu.egg-info

# Default zones: the bundled demo zones. Users mount their own directory over /zones.
COPY zones/ /zones/

ENV R53EMU_ZONES=/zones \
    R53EMU_ADDRESS=0.0.0.0 \
    R53EMU_PORT=53 \
    R53EMU_ADMIN_ADDRESS=0.0.0.0 \
    R53EMU_ADMIN_PORT=8053
EXPOSE 53/udp 53/tcp 8053

# Port 53 without root: Docker >= 20.10 sets net.ipv4.ip_unprivileged_port_start=0 inside
# containers, so an unprivileged process may bind ports below 1024. On older engines, or with
# that sysctl changed back, run with `-e R53EMU_PORT=5353 -p 53:5353/udp -p 53:5353/tcp`.
USER 10001:10001

# Healthy when r53emu says so: GET /healthz on the admin API (zones loaded, DNS listeners bound),
# or with --no-admin a DNS query over UDP (any reply will do). `r53emu healthcheck` reads the
# server's command line (the flags given after the image name, `docker run r53emu --admin-port
# 9000`) with the same parser and R53EMU_* variables as `r53emu serve`. During the start period it checks every second, so
# `depends_on: condition: service_healthy` waits about as long as r53emu takes to start (Docker
# Engine >= 25; older engines check only every --interval, and their builders may reject
# --start-interval); after that, every 30 s.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --start-interval=1s --retries=3 \
    CMD ["r53emu", "healthcheck"]

ENTRYPOINT ["r53emu", "serve"]
