/**
 * When the native OpenClaw plugin entry runs our commands inside the real host, it knows the
 * host's resolved state dir and version first-hand. It leaves them here before handing argv to
 * oclif; the context resolver reads them as the "openclaw-plugin" source.
 */
export type NativeHostContext = {
  configPath?: string
  /** The host's own executable and argv prefix, so chained commands run in the same host. */
  hostCommand?: {args: string[]; file: string}
  hostVersion: null | string
  profile: null | string
  stateDir: string
}

let current: NativeHostContext | undefined

export function setNativeHostContext(context: NativeHostContext | undefined): void {
  current = context
}

export function getNativeHostContext(): NativeHostContext | undefined {
  return current
}
