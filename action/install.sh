#!/usr/bin/env bash
# tagwright's setup action: downloads the release archive for this runner, checks its SHA-256 against
# checksums.txt beside this script (a commit after each release adds that version's lines), checks
# its SLSA provenance bundle with `gh attestation verify` when gh is installed, and puts the six
# binaries on PATH. A version missing from checksums.txt is refused: the download server alone is
# not trusted.
#
# Environment:
#   TAGWRIGHT_VERSION       X.Y.Z (required)
#   TAGWRIGHT_REPOSITORY    OWNER/REPO the archives come from (default: tagwright/tagwright)
#   TAGWRIGHT_DOWNLOAD_URL  the releases' download base (default: https://github.com/REPO/releases/download)
#   TAGWRIGHT_TRUSTED_ROOT  a Sigstore trusted root (JSON lines) for gh, for a private instance
#   TAGWRIGHT_OIDC_ISSUER   the OIDC issuer of the release workflow's certificates, with it
#   TAGWRIGHT_INSTALL_DIR   where the binaries go (default: $RUNNER_TEMP/tagwright-X.Y.Z)
set -euo pipefail

fail() {
  echo "::error title=tagwright setup::$*" >&2
  exit 1
}

version="${TAGWRIGHT_VERSION:-}"
version="${version#v}"
[[ "${version}" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || fail "version \`${TAGWRIGHT_VERSION:-}\` is not X.Y.Z"
repository="${TAGWRIGHT_REPOSITORY:-tagwright/tagwright}"
[[ "${repository}" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || fail "repository \`${repository}\` is not OWNER/REPO"
base="${TAGWRIGHT_DOWNLOAD_URL:-https://github.com/${repository}/releases/download}"

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  Darwin/arm64) target=aarch64-apple-darwin ;;
  *) fail "no tagwright archive for $(uname -s)/$(uname -m)" ;;
esac
name="tagwright-${version}-${target}"
archive="${name}.tar.gz"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
expected="$(awk -v file="${archive}" '$2 == file || $2 == "*" file { print $1 }' "${here}/checksums.txt")"
[[ "${expected}" =~ ^[0-9a-f]{64}$ ]] \
  || fail "${archive} is not in ${here}/checksums.txt: this action does not know tagwright ${version} (use a newer action, or a listed version)"

work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/tagwright-setup.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
echo "downloading ${base}/v${version}/${archive}"
curl --fail --silent --show-error --location --retry 3 --max-time 300 \
  --output "${work}/${archive}" "${base}/v${version}/${archive}" \
  || fail "cannot download ${base}/v${version}/${archive}"

if command -v sha256sum > /dev/null; then
  actual="$(sha256sum "${work}/${archive}" | cut -d' ' -f1)"
else
  actual="$(shasum -a 256 "${work}/${archive}" | cut -d' ' -f1)"
fi
[[ "${actual}" == "${expected}" ]] \
  || fail "${archive} has SHA-256 ${actual}, not ${expected} as checksums.txt says: refused"
echo "sha256 ok: ${actual}"

if command -v gh > /dev/null; then
  bundle="${archive}.provenance.sigstore.json"
  curl --fail --silent --show-error --location --retry 3 --max-time 60 \
    --output "${work}/${bundle}" "${base}/v${version}/${bundle}" \
    || fail "cannot download ${base}/v${version}/${bundle}"
  private=()
  [[ -z "${TAGWRIGHT_TRUSTED_ROOT:-}" ]] || private+=(--custom-trusted-root "${TAGWRIGHT_TRUSTED_ROOT}")
  [[ -z "${TAGWRIGHT_OIDC_ISSUER:-}" ]] || private+=(--cert-oidc-issuer "${TAGWRIGHT_OIDC_ISSUER}")
  # Built and signed by the repository's own release workflow, on a tag.
  gh attestation verify "${work}/${archive}" --bundle "${work}/${bundle}" --repo "${repository}" \
    --signer-workflow "${repository}/.github/workflows/release.yml" "${private[@]}" \
    || fail "the provenance of ${archive} does not verify for ${repository}'s release workflow: refused"
  echo "provenance ok: built by ${repository}/.github/workflows/release.yml"
else
  echo "gh is not installed: the provenance bundle was not checked (the SHA-256 was)"
fi

dir="${TAGWRIGHT_INSTALL_DIR:-${RUNNER_TEMP:-/tmp}/tagwright-${version}}"
mkdir -p "${dir}"
tar -xzf "${work}/${archive}" -C "${dir}"
bin="${dir}/${name}"
"${bin}/tagwright" --version > /dev/null || fail "${bin}/tagwright does not run here"
if [[ -n "${GITHUB_PATH:-}" ]]; then
  echo "${bin}" >> "${GITHUB_PATH}"
fi
echo "installed tagwright ${version} (${target}) in ${bin}"
