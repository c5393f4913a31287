import {FORMAT_VERSION} from '../archive/manifest.js'
import {MigrateError} from '../errors.js'
import {toolVersion} from '../util/tool-info.js'
import {type PreflightAnswer} from './receive.js'
import {parseRemoteEnvelope, runSsh, sshFailure, type SshTarget} from './ssh.js'

/**
 * Asks the new machine, before anything changes on either side, whether it can take this state:
 * the tool there and its archive format, its OpenClaw version against the source's, free space,
 * owners, a gateway running on the target state, and its path plan (what would be moved aside).
 */
export async function remotePreflight(
  target: SshTarget,
  manifestJson: string,
  remoteArgs: string[],
): Promise<PreflightAnswer> {
  const result = await runSsh(target, ['receive', '--preflight', ...remoteArgs], manifestJson)
  const failure = sshFailure(target, result)
  if (failure) throw failure
  const envelope = parseRemoteEnvelope<PreflightAnswer>(result.stdout)
  const answer = envelope?.result
  if (!answer?.format || envelope?.error) {
    const why = envelope?.error
      ? `${envelope.error.code}: ${envelope.error.message}`
      : (result.stderr.split('\n').findLast((l) => l.trim()) ?? `exit ${result.exitCode}`)
    throw new MigrateError(
      'REMOTE_INCOMPATIBLE',
      `${target.remoteCommand.join(' ')} on ${target.destination} cannot take a push (${why.slice(0, 300)}). Nothing was changed.`,
      {
        suggestions: [
          `Install the same version there (${toolVersion()}): ssh ${target.destination} npm install -g @openclaw/plugin-migrate@${toolVersion()}`,
        ],
      },
    )
  }

  if (answer.format.version < FORMAT_VERSION)
    throw new MigrateError(
      'REMOTE_INCOMPATIBLE',
      `openclaw-migrate ${answer.tool.version} on ${target.destination} reads archive format ${answer.format.version}; this one writes ${FORMAT_VERSION}. Nothing was changed.`,
      {
        suggestions: [
          `Upgrade it there: ssh ${target.destination} npm install -g @openclaw/plugin-migrate@${toolVersion()}`,
        ],
      },
    )
  if (answer.problems.length > 0)
    throw new MigrateError(
      'REMOTE_REFUSED',
      `${target.destination} cannot take the state yet; nothing was changed on either machine:\n${answer.problems
        .map((p) => `  - ${p.code}: ${p.message}`)
        .join('\n')}`,
      {
        details: {problems: answer.problems},
        suggestions: answer.problems.flatMap((p) => p.suggestions),
      },
    )
  return answer
}
