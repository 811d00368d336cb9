/** Reading the bytes a user hands a tool: hex text (whitespace and `#` comment lines allowed, as in the vectors) or raw. */

/** True when the bytes look like hex text rather than binary data. */
function isHexText(data: Buffer): boolean {
  const text = data.toString('latin1');
  const body = text
    .split(/\r?\n/)
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('');
  return body.trim().length > 0 && /^[0-9a-fA-F\s,:]*$/.test(body) && body.replace(/[\s,:]/g, '').length % 2 === 0;
}

export function hexTextToBytes(text: string): Buffer {
  return Buffer.from(
    text
      .split(/\r?\n/)
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('')
      .replace(/[\s,:]/g, ''),
    'hex',
  );
}

/** The bytes meant: hex text is decoded, anything else is taken as it is. */
export function inputBytes(data: Buffer): Buffer {
  return isHexText(data) ? hexTextToBytes(data.toString('latin1')) : data;
}

/** Parses a hex option value (e.g. --client-random), with a clear error. */
export function hexOption(name: string, value: string, size?: number): Buffer {
  const clean = value.replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean) || clean.length % 2 !== 0) throw new Error(`--${name} must be hex bytes`);
  const bytes = Buffer.from(clean, 'hex');
  if (size !== undefined && bytes.length !== size) throw new Error(`--${name} must be ${size} bytes, not ${bytes.length}`);
  return bytes;
}
