/** Codes of the errors a fake upstream throws at start-up (never while answering requests). */
export type FakeUpstreamErrorCode = 'ERR_FAKE_UPSTREAM_KIND' | 'ERR_FAKE_UPSTREAM_OPTION';

/**
 * A bad argument to `startFakeUpstream`/`startFakeUpstreams`: an unknown kind or an invalid option.
 * Callers branch on `code`; the message names the option and what was expected, never a credential.
 */
export class FakeUpstreamError extends Error {
  readonly code: FakeUpstreamErrorCode;

  constructor(code: FakeUpstreamErrorCode, message: string) {
    super(message);
    this.name = 'FakeUpstreamError';
    this.code = code;
  }
}
