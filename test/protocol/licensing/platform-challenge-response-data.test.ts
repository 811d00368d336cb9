import t from 'tap';
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert';
import {
  clientHardwareIdBytes,
  decodeAll,
  decodeClientHardwareIdBytes,
  decodePlatformChallengeResponseData,
  encodePlatformChallengeResponseData,
  parseChallengeResponse,
} from '../../../protocol/licensing/index.js';
import { DecodeError, encodeWith } from '../../../protocol/wire/index.js';
import { vector } from '../../helpers/vectors.js';
import { clientHardwareId, platformChallengeResponseData } from './fixtures/arbitraries.js';

const decodeData = (b: Uint8Array) => decodeAll(b, decodePlatformChallengeResponseData, 'PLATFORM_CHALLENGE_RESPONSE_DATA');

t.test('4.5 plain response data and HWID decode and re-encode byte-identically', async (t) => {
  const data = vector('rdpele-4.5-challenge-response-data.plain');
  t.same(encodeWith((w) => encodePlatformChallengeResponseData(w, decodeData(data))), data);
  const hwid = vector('rdpele-4.5-hwid.plain');
  t.same(clientHardwareIdBytes(decodeClientHardwareIdBytes(hwid)), hwid);
});

t.test('4.5 plain structures and the 4.4 challenge cut at every offset give DecodeError', async (t) => {
  for (const [name, decode] of [
    ['rdpele-4.5-challenge-response-data.plain', decodeData],
    ['rdpele-4.5-hwid.plain', decodeClientHardwareIdBytes],
  ] as const) {
    const bytes = vector(name);
    let refused = 0;
    for (let k = 0; k < bytes.length; k++) {
      try {
        decode(bytes.subarray(0, k));
      } catch (e) {
        if (e instanceof DecodeError) refused++;
        else throw e;
      }
    }
    t.equal(refused, bytes.length, name);
  }
  // The 4.4 plain challenge is an opaque string: as a response it is the echo shape.
  t.equal(parseChallengeResponse(vector('rdpele-4.4-platform-challenge.plain')).shape, 'echo');
});

t.test('a HWID of 19 or 21 bytes is refused', async (t) => {
  t.throws(() => decodeClientHardwareIdBytes(Buffer.alloc(19)), { code: 'TRUNCATED' });
  t.throws(() => decodeClientHardwareIdBytes(Buffer.alloc(21)), { code: 'TRAILING_BYTES' });
});

t.test('fast-check: response data and HWID round-trip', async () => {
  fc.assert(
    fc.property(platformChallengeResponseData, clientHardwareId, (data, hwid) => {
      deepStrictEqual(decodeData(encodeWith((w) => encodePlatformChallengeResponseData(w, data))), data);
      deepStrictEqual(decodeClientHardwareIdBytes(clientHardwareIdBytes(hwid)), hwid);
    }),
  );
});
