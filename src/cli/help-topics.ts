/**
 * `airlock help TOPIC`: short references for the file formats airlock reads and writes, so a
 * host with no network and no source tree still has them. Each names the source of truth.
 */

/** One topic: a one-line summary (listed by `airlock help`) and its text. */
export interface HelpTopic {
  summary: string;
  text: string;
}

const IMAGE_SET = `The image set (images.yaml): the images of a deployment, described once.
JSON Schema: schema/images.schema.json in airlock's source and npm package (editors
validate with it: # yaml-language-server: $schema=.../images.schema.json).

  version: 1                    optional; the format version
  parameters:                   default template parameters: NAME: string | number | bool | null
    namespace: quay.io/tripleomastercentos9
    tag: current-tripleo
  images:                       KEY (lower-case letters, digits, _) -> a reference or an entry
    keystone: "{namespace}/openstack-keystone:{tag}"     a template, or a plain reference
    ceph:
      ref: "{ceph_namespace}/ceph:{ceph_tag}"
      enabled_by: ceph_images   a parameter; false leaves the image out
      platforms: [linux/amd64]  platforms to keep when mirroring (default: all)
      label_platform: linux/amd64   whose config labels tag_from_label reads
      imported: {...}           where airlock import found it (tool, file, line, name,
                                expression, parameters); render writes back there
  rules:                        applied in order; later rules override earlier ones
    - name: ...                 shown in the lock's origin
      set: {PARAM: value}       template parameters for the images the rule applies to
      includes: [...]           only images matching one of these (then excludes are ignored)
      excludes: [...]           skip images matching one of these
      match: substring | regex  how includes/excludes match (default substring of key or repo)
      tag_from_label: "{version}-{release}"   a label name or a template of labels: the tag
      tag_from_label_fallback: error | tag    a label missing: LABEL_MISSING, or keep the tag
      tag_from_label_unless_set_tag: bool     this rule's own set.tag wins over the labels
      push_destination: registry.local:5000/mirror   where mirror copies them (path kept)
      platforms: [os/arch[/variant], ...]
      verify: {key: cosign.pub} the images must be signed with this key (resolve checks)
      modify: {steps: [...], tag_suffix, only_with_labels, only_images}   see airlock modify
      selects: bool             TripleO: images no selecting rule applies to are left out
  verify: {key: cosign.pub}     for every image; a rule's key wins for its images
  credentials:                  per registry host[:port]; secrets never reach the lock
    registry.example.com:
      username: ci              or username_env: VAR
      password_env: VAR         or password_file: FILE (relative to the image set)

airlock plan images.yaml lists what it names; airlock resolve images.yaml -o images.lock.yaml pins it.`;

const LOCK = `The lock (images.lock.yaml): every image pinned by digest. Written by airlock resolve;
do not edit it (change the image set and resolve again; resolve --check says when it is stale).
The same lock always has the same bytes: keys sorted, fields in this order, absent ones left out.

  version: 1
  images:
    KEY:                        the image set's key
      source: REGISTRY/REPO:TAG@sha256:...    where it was pinned
      tag: TAG
      digest: sha256:...        the top manifest or index
      mediaType: ...            of that manifest
      size: N                   of that manifest, in bytes
      platforms:                an index's children (all of them, or those kept)
        - {platform: os/arch[/variant], digest, size, mediaType}
      keep_platforms: [...]     platforms mirroring keeps, when the set restricts them
      filtered_digest: sha256:...   the filtered index mirroring writes for keep_platforms
      destination: HOST[:PORT]/PREFIX/REPO:TAG   where mirror copies it (push_destination)
      modify:                   a modified image (a rule's modify)
        steps: [{kind, value}]
        tag_suffix: -hotfix
        modification: sha256:...    the steps and their inputs' layers
        result: sha256:...      the modified image's digest, made from digest
      referrers:                signatures, attestations, SBOMs found beside the image
        - {digest, mediaType, size, artifactType, tag (cosign's), predicateType}
      origin:                   where each value came from
        template: ...           the reference template as written
        rules: [{index, name}]  the rules that applied
        tag_from_label: {template, from_tag, labels, rule}
        imported: {...}         where airlock import found it

airlock mirror, pull, bundle create, render and verify read it; airlock diff compares two.`;

const BUNDLE = `The bundle (images.tar): images carried across the air gap in one file. An OCI image
layout in a plain tar that airlock reads in place, and skopeo (oci-archive:FILE:REF) and
ctr images import read as it is. Written by airlock bundle create (and backup); the same
images and lock give the same bytes (fixed headers: mode 0644, uid/gid 0, mtime 0).

Entries, in order:
  oci-layout                    {"imageLayoutVersion": "1.0.0"}
  index.json                    every image, named with both org.opencontainers.image.ref.name
                                and io.containerd.image.name (the store's name), sorted
  airlock/images.lock.yaml      the lock it was written from (see airlock help lock)
  airlock/differential.json     --have only: {against, blobs: {DIGEST: {size, repository}},
                                images}: what it leaves out, assumed on the target
  airlock/checksums.sha256      sha256sum -c format: every other entry
  airlock/bin/airlock-OS-ARCH   --include-self only: airlock's single executable
                                (airlock bundle extract-self BUNDLE -o airlock writes it out)
  blobs/sha256/HEX              every blob once (manifests, configs, layers), by digest

--zstd compresses the whole tar (images.tar.zst). --split SIZE cuts the same bytes into
images.tar.000, .001, ... and images.bundle.json: {airlockBundleVolumes, size, sha256 (of the
whole), volumes: [{file, size, sha256}], entries: [[name, offset, size]]}; airlock reads the
.bundle.json wherever it takes a bundle, and cat images.tar.* > images.tar rebuilds it.

airlock bundle verify re-hashes every entry against its name and the checksum list and checks
the index against the lock; bundle ls lists it; bundle import copies it to a registry.`;

/** The format topics, by name. */
export const HELP_TOPICS: Record<string, HelpTopic> = {
  'image-set': { summary: 'the image set (images.yaml): parameters, images, rules, credentials', text: IMAGE_SET },
  lock: { summary: 'the lock (images.lock.yaml): every image pinned by digest', text: LOCK },
  bundle: { summary: 'the bundle (images.tar): entries, checksums, volumes', text: BUNDLE },
};
