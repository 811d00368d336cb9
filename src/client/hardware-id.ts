/**
 * The client's CLIENT_HARDWARE_ID ([MS-RDPELE] 2.2.2.3.1): PlatformId (UINT32 LE) then Data1..Data4 (16 bytes), kept in
 * `HKLM\SOFTWARE\Microsoft\MSLicensing\HardwareID` value `ClientHWID` and made on first use. The server binds each license
 * to it (RDPELE.md §5.4), so a device presents the same one every time until the HardwareID key is deleted.
 */
import { createHash } from 'node:crypto';
import type { RandomSource } from '../../protocol/crypto/index.js';
import { HWID_LENGTH, readHardwareId, writeHardwareId } from '../registry/mslicensing.js';
import type { RegistryFile } from './registry-file.js';

/** PlatformId of the HWID a Windows client makes (RDPELE.md §6.3: "HWID PlatformId 2"). */
export const HWID_PLATFORM_ID = 2;

/**
 * How a missing ClientHWID is made:
 * `random`  PlatformId 2 + 16 random bytes, as Windows does;
 * `machine` PlatformId 2 + MD5(upper-case machine name, UTF-16LE): the same machine name always gives the same HWID;
 * `rotate`  a new random HWID on every connection, stored each time (the Store app of USER-REPORTS.md #6);
 * bytes     exactly this HWID (20 bytes), stored in place of whatever is there.
 */
export type HardwareIdMode = 'random' | 'machine' | 'rotate' | Buffer;

export function randomHardwareId(random: RandomSource): Buffer {
  const hwid = Buffer.alloc(HWID_LENGTH);
  hwid.writeUInt32LE(HWID_PLATFORM_ID, 0);
  random.bytes(16).copy(hwid, 4);
  return hwid;
}

export function machineHardwareId(machineName: string): Buffer {
  const hwid = Buffer.alloc(HWID_LENGTH);
  hwid.writeUInt32LE(HWID_PLATFORM_ID, 0);
  createHash('md5').update(Buffer.from(machineName.toUpperCase(), 'utf16le')).digest().copy(hwid, 4);
  return hwid;
}

export interface ResolvedHardwareId {
  hwid: Buffer;
  /** True when this call made (and stored) it. */
  created: boolean;
  /** Why the stored value could not be used, when it was replaced (it is kept as ClientHWID.invalid). */
  replacedProblem?: string;
}

/** The device's HWID: the stored one, or a new one made as `mode` says and stored in the registry file. */
export function resolveHardwareId(file: RegistryFile, mode: HardwareIdMode, machineName: string, random: RandomSource): Promise<ResolvedHardwareId> {
  return file.update<ResolvedHardwareId>((reg) => {
    const stored = readHardwareId(reg);
    if (Buffer.isBuffer(mode)) {
      if (mode.length !== HWID_LENGTH) throw new RangeError(`a hardware id has ${HWID_LENGTH} bytes`);
      if (stored.hwid?.equals(mode)) return { changed: false, result: { hwid: stored.hwid, created: false } };
      writeHardwareId(reg, mode);
      const result: ResolvedHardwareId = { hwid: Buffer.from(mode), created: true };
      if (stored.problem !== undefined) result.replacedProblem = stored.problem;
      return { changed: true, result };
    }
    if (stored.hwid && mode !== 'rotate') return { changed: false, result: { hwid: stored.hwid, created: false } };
    const hwid = mode === 'machine' ? machineHardwareId(machineName) : randomHardwareId(random);
    writeHardwareId(reg, hwid);
    const result: ResolvedHardwareId = { hwid, created: true };
    if (stored.problem !== undefined) result.replacedProblem = stored.problem;
    return { changed: true, result };
  });
}
