import { randomBytes, randomUUID } from 'node:crypto';

/** 32 lowercase hex characters: AntBuddy/Kazoo-style account and user ids. */
export const hex32 = (): string => randomBytes(16).toString('hex');
/** 24 lowercase hex characters: OmiCall-style (Mongo ObjectId-shaped) ids. */
export const hex24 = (): string => randomBytes(12).toString('hex');
export const uuid = (): string => randomUUID();
/** URL-safe random secret of `bytes` bytes of entropy. */
export const secretToken = (bytes = 24): string => randomBytes(bytes).toString('base64url');
