// --device on every command that computes: parsed and checked before any work starts, so a bad
// value or a GPU this build cannot use is a usage error (exit 2) naming the flag.
import { DeviceError, DEVICE_SYNTAX, parseDeviceSpec, resolveDevice, type Device } from '../engine/device';
import { CliError } from './args';

/** The help of `--device <device>` (default 'auto'), the same on every command. */
export const DEVICE_HELP = `where to compute: ${DEVICE_SYNTAX} (auto: the first GPU when the addon's libtorch sees one, else the CPU)`;

/** The concrete device for a --device value; CliError when it is malformed or not usable here. */
export function deviceFlag(value: string, flag = '--device'): Device {
  try {
    return resolveDevice(parseDeviceSpec(value, flag), flag);
  } catch (err) {
    if (err instanceof DeviceError) throw new CliError(err.message);
    throw err;
  }
}

/** What the commands print at start: "cuda:0" or "cpu". */
export const deviceLine = (device: Device): string => `device ${device}`;
