import t from 'tap';
import {
  decodeLicensingFrame, encodeLicensingFrame, SEC_ENCRYPT, SEC_LICENSE_ENCRYPT_CS, SEC_LICENSE_PKT, wrapClientLicensingMessage, wrapServerLicensingMessage,
} from '../../../protocol/rdp/index.js';
import { DecodeError } from '../../../protocol/wire/index.js';
import { hex, vector } from '../../helpers/vectors.js';

t.test('[MS-RDPBCGR] 4.1.11 encrypted Valid Client frame decodes structurally and re-encodes byte for byte', async (t) => {
  const frame = vector('rdpbcgr-4.1.11-license-error-valid-client.frame');
  const f = decodeLicensingFrame(frame);
  t.same(f.sendData, { kind: 'indication', initiator: 1002, channelId: 1003, dataPriority: 0x70 });
  t.equal(f.securityHeader.flags, SEC_ENCRYPT | SEC_LICENSE_PKT | SEC_LICENSE_ENCRYPT_CS);
  t.equal(f.securityHeader.flags, 0x0288);
  t.equal(f.securityHeader.flagsHi, 0x0302, 'flagsHi garbage kept but not interpreted');
  t.equal(f.securityHeader.dataSignature?.toString('hex'), '8d439aabd52a3139');
  t.equal(f.body.length, 16, 'ciphertext of the 16-byte Valid Client message (session keys unpublished)');
  t.same(encodeLicensingFrame(f), frame);
});

t.test('server frame for a plaintext licensing message: 80 00 00 00 on SDin 1002 → 1003', async (t) => {
  const msg = vector('rdpbcgr-4.1.11-valid-client.decrypted');
  const frame = wrapServerLicensingMessage(msg);
  t.equal(frame.toString('hex'), '0300002202f08068000103eb7014' + '80000000' + msg.toString('hex'));
  const f = decodeLicensingFrame(frame);
  t.same(f.body, msg);
  t.equal(f.securityHeader.flags, SEC_LICENSE_PKT);
  const c = wrapClientLicensingMessage(msg, 1007);
  t.equal(c.subarray(7, 14).toString('hex'), '64000603eb7014');
});

t.test('BAD-INPUTS #2 at the frame level: SEC_LICENSE_PKT|SEC_ENCRYPT with 0–11 bytes of user data is a DecodeError', async (t) => {
  for (let n = 0; n < 12; n++) {
    const userData = Buffer.concat([hex('88000000'), Buffer.alloc(8)]).subarray(0, n);
    const frame = Buffer.concat([hex('030000'), Buffer.from([15 + n]), hex('02f08068000103eb70'), Buffer.from([n]), userData]);
    t.throws(() => decodeLicensingFrame(frame), DecodeError, `user data of ${n} bytes`);
  }
});

t.test('a frame without SEC_LICENSE_PKT is not a licensing frame', async (t) => {
  t.throws(() => decodeLicensingFrame(hex('0300001302f08068000103eb700440000000')), DecodeError);
  t.throws(() => decodeLicensingFrame(hex('0300000902f0802180')), DecodeError, 'a DPUm');
});
