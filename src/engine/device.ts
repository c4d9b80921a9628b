// Devices: where tensors live and compute. A concrete Device is what libtorch reports for a
// tensor ('cpu', 'cuda:0', ...); a DeviceSpec is what a user asks for (--device, the library's
// `device` option), with 'auto' meaning the first GPU when the addon's libtorch sees one.
import { native } from './native';

/** A concrete device, as libtorch names a tensor's: 'cpu' or 'cuda:N'. */
export type Device = 'cpu' | `cuda:${number}`;
/** What may be asked for: 'auto' (a GPU when there is one, else the CPU), 'cpu', 'cuda' (= cuda:0) or 'cuda:N'. */
export type DeviceSpec = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

export const DEVICE_SYNTAX = 'auto, cpu, cuda or cuda:N';

/** A device that cannot be used: a malformed name, or a GPU this libtorch does not have. */
export class DeviceError extends Error {
  override readonly name = 'DeviceError';
}

/** Checks a device string; `what` names its source in the error (e.g. '--device'). */
export function parseDeviceSpec(value: string, what = 'device'): DeviceSpec {
  if (value === 'auto' || value === 'cpu' || value === 'cuda') return value;
  const m = /^cuda:(\d+)$/.exec(value);
  if (m && Number.isSafeInteger(Number(m[1]))) return `cuda:${Number(m[1])}`;
  throw new DeviceError(`${what} must be ${DEVICE_SYNTAX}, got '${value}'`);
}

export const isCuda = (device: string): boolean => device.startsWith('cuda');

/** GPUs the addon's libtorch can use (0 for a CPU-only build). */
export function cudaDeviceCount(): number {
  return native.cudaIsAvailable() ? native.cudaDeviceCount() : 0;
}

/**
 * The concrete device for a spec: 'auto' is cuda:0 when a GPU is usable, else cpu; 'cuda' is
 * cuda:0. Asking for a GPU that is not there is a DeviceError saying why (`what` names the source).
 */
export function resolveDevice(spec: DeviceSpec = 'auto', what = 'device'): Device {
  if (spec === 'cpu') return 'cpu';
  const gpus = cudaDeviceCount();
  if (spec === 'auto') return gpus > 0 ? 'cuda:0' : 'cpu';
  const index = spec === 'cuda' ? 0 : Number(spec.slice('cuda:'.length));
  if (gpus === 0) {
    throw new DeviceError(
      `${what} ${spec}: this deepcut addon's libtorch (${native.torchVersion()}) has no usable GPU (a CPU-only build, or no CUDA device visible); ` +
        'rebuild it against a CUDA libtorch (README: "GPU") or use cpu',
    );
  }
  if (index >= gpus) throw new DeviceError(`${what} ${spec}: libtorch sees ${gpus} GPU(s) (cuda:0${gpus > 1 ? `..cuda:${gpus - 1}` : ''})`);
  return `cuda:${index}`;
}

/** Waits until the device has finished its queued work (for timings; a no-op on the CPU). */
export function synchronize(device: string): void {
  if (isCuda(device)) native.cudaSynchronize();
}
