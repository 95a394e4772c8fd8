# mapengine in a container, for CI jobs that lint mappings without building anything:
#   docker build -t mapengine --build-arg MAPENGINE_COMMIT="$(git rev-parse --short=12 HEAD)" .
#   docker run --rm -v "$PWD:/work" mapengine lint --format github mappings/
# The first stage builds the Debian package (the same one scripts/build-package.sh makes); the
# second installs it on a clean debian:12-slim, so apt brings exactly the runtime libraries the
# package declares, and nothing else (no compiler, no -dev package). The image runs as a non-root
# user, in /work (mount the repository there), with mapengine as its entrypoint.

FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config help2man \
      libpq-dev libyaml-cpp-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev \
      libvalijson-dev libre2-dev libssl-dev libhowardhinnant-date-dev libabsl-dev \
 && rm -rf /var/lib/apt/lists/*
ARG MAPENGINE_COMMIT=unknown
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DBUILD_TESTING=OFF -DMAPENGINE_COMMIT="$MAPENGINE_COMMIT" \
 && cmake --build /build -j "$(nproc)" \
 && cd /build && cpack -G DEB && mv mapengine_*.deb /mapengine.deb

FROM debian:12-slim
COPY --from=build /mapengine.deb /tmp/mapengine.deb
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/mapengine.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/mapengine.deb \
 && useradd --create-home --uid 10001 --user-group mapengine
USER mapengine
WORKDIR /work
ENTRYPOINT ["mapengine"]
CMD ["--help"]
