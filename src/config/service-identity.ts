// The service's one name: the logger's `service` field and the default OTEL_SERVICE_NAME. The
// package, image, Kubernetes labels and metrics job carry the same name (checked by their tests).
export const SERVICE_NAME = 'hello-api';
