// The fault token the tests configure, and the header that presents it: PUT /faults is served
// only with FAULT_TOKEN set, and answers only requests that send it as a bearer token.
export const TEST_FAULT_TOKEN = 'test-fault-token-0123456789abcdef0123456789';

/** Environment that enables PUT /faults. */
export const FAULT_TOKEN_ENV = { FAULT_TOKEN: TEST_FAULT_TOKEN } as const;

/** Request headers that pass the fault token's check. */
export const FAULT_AUTH = { authorization: `Bearer ${TEST_FAULT_TOKEN}` } as const;
