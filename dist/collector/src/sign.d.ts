export declare const SIGNATURE_HEADER = "ClickRelay-Signature";
/** Signatures older (or further in the future) than this are refused, so a captured request cannot be replayed later. */
export declare const SIGNATURE_TOLERANCE_S = 300;
/** The header value for `body`, exactly the bytes that will be sent. */
export declare function signBody(secret: string, body: string | Uint8Array, timestamp?: number): string;
export type Verification = {
    ok: true;
} | {
    ok: false;
    reason: string;
};
export declare function verifySignature(secret: string, header: string | undefined, body: Uint8Array, nowS: number): Verification;
/** Signs and posts one confirmed, paid order; resolves with the collector's status and JSON answer. */
export declare function postOrder(collectorUrl: string, secret: string, order: object): Promise<{
    status: number;
    body: unknown;
}>;
