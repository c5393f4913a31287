/**
 * The only plugin specs an import installs by itself: a package from the npm registry at an exact
 * version (`name@1.2.3`, `@scope/name@1.2.3-beta.1`). Anything else an archive records (git URLs,
 * tarball URLs, local paths, `npm-pack:` files, ranges, tags) would let whoever made the archive
 * choose code to run here: those are listed for the user to install by hand.
 */
const REGISTRY_EXACT =
  /^(@[a-z0-9][a-z0-9._~-]{0,213}\/)?[a-z0-9][a-z0-9._~-]{0,213}@\d{1,9}\.\d{1,9}\.\d{1,9}(-[0-9A-Za-z.-]{1,64})?(\+[0-9A-Za-z.-]{1,64})?$/

export function isRegistrySpec(spec: null | string | undefined): spec is string {
  return typeof spec === 'string' && spec.length <= 300 && REGISTRY_EXACT.test(spec)
}
