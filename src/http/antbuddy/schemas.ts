import { Type } from 'typebox';

/** The family's error body (see errors.ts). */
export const ErrorBody = Type.Object({ message: Type.String(), code: Type.String() });

/** The signature parameters every signed GET carries; `timestamp` and `nonce` are optional but go together. */
export const Signed = {
  appId: Type.String(),
  hash: Type.String(),
  timestamp: Type.Optional(Type.String()),
  nonce: Type.Optional(Type.String()),
};

/** Dashboard, queues and agents sign the company's domain and one of its users' email. */
export const DirectoryQuery = Type.Object({ ...Signed, domain: Type.String(), email: Type.String() });
