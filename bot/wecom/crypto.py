"""WeCom's callback crypto (the WXBizMsgCrypt scheme), from 加解密方案说明:
https://developer.work.weixin.qq.com/document/path/90968 (third-party copy: 91144).

* msg_signature = sha1(the four strings token, timestamp, nonce, msg_encrypt, sorted, concatenated)
* AESKey = base64decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC, IV = AESKey[:16];
  PKCS#7 padding to a multiple of 32 bytes.
* plaintext = random(16 bytes) + len(msg) as 4 bytes network order + msg + receiveid,
  receiveid being the corp id for a self-built app.

Callbacks are untrusted input: the signature is compared in constant time, padding and lengths
are checked before use, and a receiveid other than our corp id is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.wecom.xmlsafe import element_text, parse_xml

BLOCK = 32


class WeComCryptoError(Exception):
    """A callback could not be verified or decrypted."""


class SignatureError(WeComCryptoError):
    """msg_signature does not match: the request is not from WeCom (or not for our token)."""


class DecryptError(WeComCryptoError):
    """The ciphertext, its padding or its length fields are malformed."""


class ReceiverError(WeComCryptoError):
    """The message was encrypted for another corp (receiveid is not our corp id)."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The documented msg_signature."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Envelope:
    """A reply ready to send: the encrypted XML WeCom expects in the HTTP response."""

    xml: str
    encrypt: str
    signature: str
    timestamp: str
    nonce: str


class WeComCrypto:
    """Verify, decrypt and encrypt callbacks of one app (token, EncodingAESKey, corp id)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str):
        if len(encoding_aes_key) != 43:
            raise ValueError("EncodingAESKey must be 43 characters")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            raise ValueError("EncodingAESKey is not valid base64") from None
        if len(key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self.token = token
        self.key = key
        self.receive_id = receive_id

    # --- signature ---------------------------------------------------------------------------

    def check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode("ascii"), (msg_signature or "").lower().encode("ascii", "replace")):
            raise SignatureError("msg_signature does not match")

    # --- AES -------------------------------------------------------------------------------

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def decrypt(self, encrypt: str) -> str:
        """Decrypt msg_encrypt; return msg. Raise DecryptError or ReceiverError."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptError("Encrypt is not base64") from None
        if not data or len(data) % 16:
            raise DecryptError("the ciphertext is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise DecryptError("bad PKCS#7 padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise DecryptError("the plaintext is too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise DecryptError("the message length runs past the plaintext")
        msg = plain[20:20 + length]
        receiver = plain[20 + length:]
        if not hmac.compare_digest(receiver, self.receive_id.encode("utf-8")):
            raise ReceiverError("the message is for another receiveid")
        try:
            return msg.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptError("the message is not UTF-8") from None

    def encrypt(self, msg: str, random16: bytes | None = None) -> str:
        """Encrypt msg for WeCom; return msg_encrypt (base64)."""
        body = msg.encode("utf-8")
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.receive_id.encode("utf-8")
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    # --- the three documented operations ----------------------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): check the signature over echostr, return the plaintext to echo.

        echostr is base64: a "+" that reached us as a space (an undecoded form encoding) is put back."""
        echostr = echostr.replace(" ", "+")
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, msg_signature: str, timestamp: str, nonce: str, body: str | bytes) -> str:
        """A POSTed callback: take Encrypt from the XML body, check the signature, return the
        decrypted message XML."""
        root = parse_xml(body)
        encrypt = element_text(root, "Encrypt")
        if not encrypt:
            raise DecryptError("the callback has no Encrypt element")
        self.check_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def encrypt_reply(self, reply_xml: str, nonce: str | None = None, timestamp: str | None = None) -> Envelope:
        """A passive reply: encrypt reply_xml and wrap it with its signature, as WeCom expects."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or os.urandom(8).hex()
        encrypt = self.encrypt(reply_xml)
        sign = signature(self.token, timestamp, nonce, encrypt)
        xml = (
            "<xml>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{sign}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{nonce}]]></Nonce>"
            "</xml>"
        )
        return Envelope(xml, encrypt, sign, timestamp, nonce)
