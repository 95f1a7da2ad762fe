#!/usr/bin/env bash
# Build the Pulumi engine the engine tests run on, from its Go modules, where no `pulumi`
# CLI can be installed: the CLI, a Python language host and the Python SDK's own shims.
#
#   scripts/pulumi-from-source.sh        build (or reuse) and print the folder to put on PATH
#
# Everything lands outside the repository, in $ENVKEEPER_ENGINE_HOME (default:
# ~/.cache/envkeeper/pulumi-engine); Go keeps its module and build caches where it always
# does. A second run with the same inputs reuses what the first built.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
module="$here/engine"
home="${ENVKEEPER_ENGINE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/envkeeper/pulumi-engine}"
bin="$home/bin"

command -v go >/dev/null 2>&1 || { echo "pulumi-from-source: needs Go (1.26 or later) on PATH" >&2; exit 2; }

# The CLI at the version .pulumi.version names (the workflows install the same), which
# scripts/engine/go.mod must build; the Python shims at the version of the Python SDK that
# uv.lock pins, so a program runs exactly as the locked SDK expects.
cli_version="v$(tr -d '[:space:]' < "$repo/.pulumi.version")"
built_version="$(cd "$module" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
if [ "$cli_version" != "$built_version" ]; then
    echo "pulumi-from-source: .pulumi.version names ${cli_version#v} but scripts/engine/go.mod builds ${built_version#v}; run (cd scripts/engine && go get github.com/pulumi/pulumi/pkg/v3@$cli_version github.com/pulumi/pulumi/sdk/v3@$cli_version && go mod tidy)" >&2
    exit 2
fi
sdk_version="v$(python3 - "$repo/uv.lock" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print(next(p["version"] for p in tomllib.load(f)["package"] if p["name"] == "pulumi"))
PY
)"

# What the build depends on; a change to any of it rebuilds.
stamp="$(cat "$module/go.mod" "$module/go.sum" "$module"/pulumi-language-python/*.go \
    | sha256sum | cut -c1-16) $cli_version $sdk_version $(go env GOVERSION)"
if [ -x "$bin/pulumi" ] && [ "$(cat "$home/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "pulumi-from-source: reusing $bin (pulumi $cli_version, Python shims $sdk_version)" >&2
    echo "$bin"
    exit 0
fi

start=$SECONDS
mkdir -p "$bin"
echo "pulumi-from-source: building pulumi $cli_version and the Python language host (several minutes on a cold Go cache)" >&2
(cd "$module" && go build -trimpath -buildvcs=false -o "$bin/" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./pulumi-language-python)

# The SDK's program entry point (next to the language host, which refuses to start
# without it) and its dynamic-provider shim, as the SDK's module carries them.
sdk_dir="$(cd "$(mktemp -d)" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@$sdk_version" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/"

echo "$stamp" > "$home/stamp"
echo "pulumi-from-source: built in $((SECONDS - start)) s into $bin:" >&2
(cd "$bin" && ls -1 | sed 's/^/  /') >&2
echo "$bin"
