import t from 'tap';
import { deriveLicensingKeys, licensingMac, rc4, saltedHash } from '../../../protocol/crypto/index.js';
import { hex } from '../../helpers/vectors.js';

t.test('chain C: IronRDP unit session derives the published keys', async (t) => {
  const sr = hex('5c81f011ebcfd10eb41fb3ba93a2d73909aa99e910d4d795ddad916905266b6a');
  const cr = hex('4b5b7b43638a08fed17abaf5918577fe3936f6d778ec6acc894a90412cac5a49');
  const pms = hex('1428dafbb9ea38ab5ea2f904f7899c983d504577bf17811c3787c24813e8c9204ddff327bdb6987e64dafe1d312f62ca');
  t.equal(saltedHash(pms, Buffer.from('A'), cr, sr).toString('hex'), 'fedc519adb3ac961040724945d0c43a7');
  const k = deriveLicensingKeys(cr, sr, pms);
  t.equal(k.masterSecret.toString('hex'), 'fedc519adb3ac961040724945d0c43a770e3f30050d7a8723eab7e1be464e5c574aeed1072962a4c65094f6012a912a1');
  t.equal(k.sessionKeyBlob.toString('hex'), 'f70375b95fdad0beb42af5c13d98857ad6c5394ce3cb7661aa4ab6157e89213ddf5b2532ee05060d5baa6314afa5460f');
  t.equal(k.macSaltKey.toString('hex'), 'f70375b95fdad0beb42af5c13d98857a');
  t.equal(k.licensingEncryptionKey.toString('hex'), 'fa44e878d82b3f1d4d00a0a655ce8ab7');
});

t.test('spec 4.1 + 4.2 randoms and premaster derive the keys of keys.md', async (t) => {
  const k = deriveLicensingKeys(
    hex('dc73a0c869256b18af0b947aa9a520af8bbc0dcca395b7b9eb815dbe0a109cd8'),
    hex('84efae20b1d59e36491ae82e0a9989ac49a6474f339b5ab99503a6c6c23c3f61'),
    hex('cf7adbcbfb0e1523871c8481ba9d4e15bbd256bdd8f7f316cc353be1934278dd929ae47ae299d473b1aa6f55943bc9bc'),
  );
  t.equal(k.masterSecret.toString('hex'), 'ed56a68c787066820d613b3a450687aed828295db93a9aea55297cfdda750a382679be7c26367b2ff8bbb6f0a97c4948');
  t.equal(k.sessionKeyBlob.toString('hex'), '74cca2098e38f01d3eddf0b495c5696878f66a1848365228d5da1c403264ed0fa976131009ad48d23a0d50562926bb00');
  t.equal(k.licensingEncryptionKey.toString('hex'), '6e1891432db6e14ce25985fba5c6f36d');
});

t.test('MAC unit vector (IronRDP mac_data_computes_correctly)', async (t) => {
  t.equal(licensingMac(hex('681f7b267e760a242d9807d66b56c501'), hex('54004500530054000000')).toString('hex'), '58af1f30d64ee806fcf9e6682164253d');
});

t.test('platform challenge unit vector: decrypts to TEST\\0 and the MAC matches', async (t) => {
  const lek = hex('e178e4a02ac5cab8a2d153b80723f3d2');
  const salt = hex('015b9e5f06977158c3b88b8c6e772137');
  const plain = rc4(lek, hex('26388877cbe8bfce2c51'));
  t.equal(plain.toString('hex'), '54004500530054000000');
  t.equal(licensingMac(salt, plain).toString('hex'), '514a272c7418ec8895ddac103e3f0a72');
  // The spec-conformant response built with the same keys (keys.md).
  const hwid = hex('00000104' + '00'.repeat(16));
  const data = hex('000100ff03000a00 54004500530054000000');
  t.equal(rc4(lek, hwid).toString('hex'), '7238cc7398e8ebce2c51be04ff1970b5281622f6');
  t.equal(rc4(lek, data).toString('hex'), '7239cd889be8e1ce7851fb04ac1924b52816');
  t.equal(licensingMac(salt, data, hwid).toString('hex'), '08c051b8b5eb10997e155cca2df7c34f');
});

t.test('rejects randoms of the wrong size', async (t) => {
  t.throws(() => deriveLicensingKeys(Buffer.alloc(31), Buffer.alloc(32), Buffer.alloc(48)), RangeError);
  t.throws(() => deriveLicensingKeys(Buffer.alloc(32), Buffer.alloc(32), Buffer.alloc(47)), RangeError);
});
