// The status_code label. Exact codes for every route but those whose status the client picks
// (GET /status/:code answers any code from 200 to 599): there one child per code would let a
// client mint hundreds of series, so the label is the class, "2xx" to "5xx". Alert rules that
// match status_code=~"5.." match "5xx" as well.
export function statusCodeLabel(statusCode: number, byClass: boolean): string {
  return byClass ? `${Math.floor(statusCode / 100)}xx` : String(statusCode);
}
