/**
 * Real FAT32 and exFAT filesystems for the "USB stick" tests: an image file formatted with
 * mkfs.vfat / mkfs.exfat and mounted through FUSE (fusefat, exfat-fuse) on a loop device where
 * the tool wants one. The kernel here may have no vfat/exfat module, FUSE is what is left; where
 * even that is impossible, `mountFat` says why and the test skips with that reason.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export type FatKind = 'exfat' | 'vfat'

export type FatMount = {dir: string; unmount(): void}

const SBIN_PATH = `${process.env.PATH}:/usr/sbin:/sbin`

function sh(cmd: string, args: string[]): {ok: boolean; out: string} {
  const r = spawnSync(cmd, args, {encoding: 'utf8', env: {...process.env, PATH: SBIN_PATH}})
  return {ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim()}
}

/** Mounts a fresh `kind` image of `sizeMiB`, its files owned by uid/gid; or the reason it cannot. */
export function mountFat(kind: FatKind, owner: {gid: number; uid: number}, sizeMiB = 64): FatMount | string {
  if (process.getuid?.() !== 0) return 'mounting an image needs root'
  if (!fs.existsSync('/dev/fuse')) return 'no /dev/fuse on this machine'
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `ocm-${kind}-`))
  const image = path.join(work, `${kind}.img`)
  const dir = path.join(work, 'mnt')
  fs.mkdirSync(dir)
  fs.chmodSync(work, 0o755)
  fs.writeFileSync(image, '')
  fs.truncateSync(image, sizeMiB * 1024 * 1024)
  const cleanup = () => {
    fs.rmSync(work, {force: true, recursive: true})
  }

  const mkfs = kind === 'vfat' ? sh('mkfs.vfat', ['-F', '32', image]) : sh('mkfs.exfat', [image])
  if (!mkfs.ok) {
    cleanup()
    return `mkfs.${kind} failed or is missing (apt-get install ${kind === 'vfat' ? 'dosfstools' : 'exfatprogs'}): ${mkfs.out}`
  }

  const options = `uid=${owner.uid},gid=${owner.gid},umask=077,allow_other`
  let loop: null | string = null
  let mounted: {ok: boolean; out: string}
  if (kind === 'vfat') {
    // The kernel's vfat first (where the module exists), then fusefat.
    mounted = sh('mount', ['-t', 'vfat', '-o', `loop,uid=${owner.uid},gid=${owner.gid},umask=077`, image, dir])
    if (!mounted.ok) mounted = sh('fusefat', ['-o', `rw+,${options}`, image, dir])
  } else {
    mounted = sh('mount', ['-t', 'exfat', '-o', `loop,uid=${owner.uid},gid=${owner.gid},umask=077`, image, dir])
    if (!mounted.ok) {
      const losetup = sh('losetup', ['-f', '--show', image])
      if (!losetup.ok) {
        cleanup()
        return `no loop device for exfat-fuse: ${losetup.out}`
      }

      loop = losetup.out.split('\n').at(-1)!.trim()
      mounted = sh('mount.exfat-fuse', ['-o', options, loop, dir])
    }
  }

  if (!mounted.ok || !isMountPoint(dir)) {
    if (loop) sh('losetup', ['-d', loop])
    cleanup()
    return `cannot mount a ${kind} image (kernel module or FUSE tool missing: apt-get install ${kind === 'vfat' ? 'fusefat' : 'exfat-fuse'}): ${mounted.out}`
  }

  return {
    dir,
    unmount() {
      for (let i = 0; i < 20 && !sh('umount', [dir]).ok; i++) spawnSync('sleep', ['0.2'])
      if (loop) sh('losetup', ['-d', loop])
      cleanup()
    },
  }
}

function isMountPoint(dir: string): boolean {
  return sh('mountpoint', ['-q', dir]).ok
}
