#!/usr/bin/env bash
# The provider plugins the real program needs under the engine (random, postgresql, github,
# cloudflare), each at the version its locked Python SDK asks for.
#
#   scripts/provider-plugins.sh install   the ordinary way, with the `pulumi` on PATH:
#                                         `pulumi plugin install` (needs the network)
#   scripts/provider-plugins.sh build     from the providers' published source, for the CLI
#                                         that scripts/pulumi-from-source.sh built
#
# `build` reads the source archives from $ENVKEEPER_PROVIDER_SOURCES, else from a
# `shared/vendor` folder beside this repository or one of its parents (or those of the
# repository it was cloned from); without one it exits 3. It builds into $ENVKEEPER_ENGINE_HOME/plugins (default
# ~/.cache/envkeeper/pulumi-engine), installs each into the engine's own PULUMI_HOME
# ($ENVKEEPER_ENGINE_HOME/pulumi-home), and reuses every binary while its inputs are unchanged.
# pulumi-neon is not among them: its dependencies are not served where this is built, and a
# stack that adopts its Neon project needs no Neon plugin.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
home="${ENVKEEPER_ENGINE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/envkeeper/pulumi-engine}"
mode="${1:-}"
say() { echo "provider-plugins: $*" >&2; }

# name -> the version the locked SDK asks for (its pulumi-plugin.json), as the engine
# matches it exactly.
python="$repo/.venv/bin/python"
[ -x "$python" ] || { say "no .venv: run uv sync --frozen first"; exit 2; }
declare -A wanted
while read -r name version; do wanted[$name]=$version; done < <("$python" - <<'PY'
import importlib.resources, json
for name in ("random", "postgresql", "github", "cloudflare"):
    info = json.loads(importlib.resources.files(f"pulumi_{name}").joinpath("pulumi-plugin.json").read_text())
    print(name, info["version"])
PY
)
names=(random postgresql github cloudflare)  # cloudflare last: the long build, alone

if [ "$mode" = install ]; then
    for name in "${names[@]}"; do
        pulumi plugin install resource "$name" "${wanted[$name]}"
    done
    exit 0
fi
[ "$mode" = build ] || { echo "usage: $0 install|build" >&2; exit 2; }

pulumi="$home/bin/pulumi"
[ -x "$pulumi" ] || { say "no CLI in $home/bin: run scripts/pulumi-from-source.sh first"; exit 2; }
command -v go >/dev/null 2>&1 || { say "needs Go (1.26 or later) on PATH"; exit 2; }

# A `shared/vendor` folder in this repository's parent folders, or in those of the
# repository it was cloned from (a clone made in a temporary folder).
sources_dir() {
    if [ -n "${ENVKEEPER_PROVIDER_SOURCES:-}" ]; then
        echo "$ENVKEEPER_PROVIDER_SOURCES"
        return
    fi
    local origin dir
    origin="$(git -C "$repo" config --get remote.origin.url 2>/dev/null || true)"
    for dir in "$repo" "${origin#file://}"; do
        [ -d "$dir" ] || continue
        dir="$(cd "$dir" && pwd)"
        while [ "$dir" != / ]; do
            dir="$(dirname "$dir")"
            if [ -f "$dir/shared/vendor/README.md" ]; then
                echo "$dir/shared/vendor"
                return
            fi
        done
    done
}
sources="$(sources_dir)"
if [ -z "$sources" ] || [ ! -d "$sources" ]; then
    say "no provider sources found: set ENVKEEPER_PROVIDER_SOURCES to the folder of the"
    say "pulumi-<name>-<commit>.tar.gz archives (and terraform-provider-<name>-<commit>.tar.gz)"
    exit 3  # distinct: .ci/run then runs the tests, and the engine tests say why they skip
fi

# The release each archive's source was cut from, reported by the binary it makes. The
# engine looks a plugin up by the version the SDK asks for; the binary says what it is.
declare -A release=(
    [pulumi-random-f64d8726]=4.21.1+f64d8726
    [pulumi-postgresql-346d9a08]=3.18.0+346d9a08
    [pulumi-github-e46c2bbd]=6.15.0
    [pulumi-cloudflare-52f065c5]=6.17.0+52f065c5
)
declare -A major=([random]=v4 [postgresql]=v3 [github]=v6 [cloudflare]=v6)

archive_of() {  # the one archive matching a prefix
    local found=("$sources/$1"-*.tar.gz)
    [ -f "${found[0]}" ] || { say "no $1-*.tar.gz in $sources"; exit 2; }
    [ "${#found[@]}" -eq 1 ] || { say "more than one $1-*.tar.gz in $sources"; exit 2; }
    echo "${found[0]}"
}

# A module named github.com/pulumi/pulumi-java whose only package the Cloudflare bridge
# links (to turn documentation examples into Java; a provider never calls it): the real one
# is not served where this is built.
java_stub() {
    local dir="$1" provider="$2"
    local pkg_version hcl_version
    pkg_version="$(cd "$provider" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
    hcl_version="$(cd "$provider" && go list -m -f '{{.Version}}' github.com/hashicorp/hcl/v2)"
    mkdir -p "$dir/pkg/codegen/java"
    cat > "$dir/go.mod" <<EOF
module github.com/pulumi/pulumi-java

go 1.25

require (
	github.com/hashicorp/hcl/v2 $hcl_version
	github.com/pulumi/pulumi/pkg/v3 $pkg_version
)
EOF
    cat > "$dir/pkg/codegen/java/stub.go" <<'EOF'
// Package java stands in for pulumi-java's code generator, which a provider never runs.
package java

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
)

func GenerateProgram(*pcl.Program) (map[string][]byte, hcl.Diagnostics, error) {
	return nil, nil, errors.New("Java program generation is not built in")
}
EOF
}

build_one() {
    local name="$1" version="${wanted[$1]}"
    local archive upstream="" out="$home/plugins/$name"
    archive="$(archive_of "pulumi-$name")"
    [ "$name" = random ] || upstream="$(archive_of "terraform-provider-$name")"
    local base
    base="$(basename "$archive" .tar.gz)"
    local binary_version="${release[$base]:-}"
    [ -n "$binary_version" ] || { say "$base: which release is it? add it to this script's table"; exit 2; }

    # What the binary depends on: the sources, the steps below, the versions, Go.
    local stamp
    stamp="$( (cat "$archive" ${upstream:+"$upstream"}; declare -f build_one java_stub) \
        | sha256sum | cut -c1-16) $binary_version $version $(go env GOVERSION)"
    if [ -x "$out/pulumi-resource-$name" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
        say "reusing $name (source $binary_version, installed as $version)"
    else
        local start=$SECONDS src="$home/src/$name"
        say "building $name $binary_version from $(basename "$archive")${upstream:+ and $(basename "$upstream")}"
        rm -rf "$src" "$out"
        mkdir -p "$src" "$out"
        tar xzf "$archive" -C "$src" --strip-components=1
        if [ -n "$upstream" ]; then
            mkdir -p "$src/upstream"
            tar xzf "$upstream" -C "$src/upstream" --strip-components=1
            for patch in "$src"/patches/*.patch; do
                [ -f "$patch" ] && (cd "$src/upstream" && patch -s -p1 < "$patch")
            done
        fi
        local provider="$src/provider" cmd="$src/provider/cmd/pulumi-resource-$name"
        # Their Makefiles write the embedded schema with `go generate`: schema.json with its
        # version set. Cloudflare's schema.json is generated and not published; the engine
        # asks a plugin for its schema only to generate SDKs, never in preview or up.
        "$python" - "$cmd" "$binary_version" "$name" <<'PY'
import json, pathlib, sys
cmd, version, name = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
source = cmd / "schema.json"
schema = json.loads(source.read_text()) if source.exists() else {"name": name}
schema["version"] = version
(cmd / "schema-embed.json").write_text(json.dumps(schema))
PY
        case "$name" in
        postgresql)
            # The pinned rds/auth patch release is not served; the next one is.
            (cd "$provider" && go get github.com/aws/aws-sdk-go-v2/feature/rds/auth@v1.6.27 >&2) ;;
        cloudflare)
            java_stub "$src/pulumi-java" "$provider"
            (cd "$provider" && go mod edit -replace "github.com/pulumi/pulumi-java=$src/pulumi-java") ;;
        esac
        (cd "$provider" && go build -trimpath -buildvcs=false -o "$out/" \
            -ldflags "-s -w -X github.com/pulumi/pulumi-$name/provider/${major[$name]}/pkg/version.Version=$binary_version" \
            "./cmd/pulumi-resource-$name")
        rm -rf "$src"
        echo "$stamp" > "$out/stamp"
        say "built $name in $((SECONDS - start)) s"
    fi
    # Where the CLI looks for it: under the version the SDK asks for.
    if [ "$(cat "$home/pulumi-home/installed-$name" 2>/dev/null)" != "$stamp" ]; then
        PULUMI_HOME="$home/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=1 \
            "$pulumi" plugin install resource "$name" "$version" -f "$out/pulumi-resource-$name" >&2
        echo "$stamp" > "$home/pulumi-home/installed-$name"
    fi
}

# The Cloudflare plugin's compile fills Go's build cache with about 28 GB, its module cache
# with 4, and Go's temporary work folder with more while it compiles (a cold build with 45
# GB free ran out, 28 minutes into it): say so up front rather than fail half an hour in.
if [ ! -x "$home/plugins/cloudflare/pulumi-resource-cloudflare" ]; then
    seen=" "
    for folder in "$(go env GOCACHE)" "$(go env GOTMPDIR)" "${TMPDIR:-/tmp}"; do
        [ -n "$folder" ] || continue
        mkdir -p "$folder"
        read -r disk free_kb < <(df -Pk "$folder" | awk 'NR==2 {print $6, $4}')
        case "$seen" in *" $disk "*) continue ;; esac  # one line per disk
        seen="$seen$disk "
        if [ "$((free_kb / 1048576))" -lt 55 ]; then
            say "warning: $((free_kb / 1048576)) GB free in $folder; a cold Cloudflare plugin build needs about 55 (Go's build cache, module cache and temporary files)"
        fi
    done
fi

start=$SECONDS
mkdir -p "$home/plugins" "$home/pulumi-home"
for name in "${names[@]}"; do
    build_one "$name"
done
say "plugins ready in $((SECONDS - start)) s: $home/pulumi-home/plugins"
