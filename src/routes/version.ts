// GET /version: what is running, as injected at image build time ("unknown" locally).
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config.js';

const VersionResponse = Type.Object(
  {
    version: Type.String(),
    commit: Type.String(),
    buildTime: Type.String(),
    environment: Type.String(),
  },
  { description: 'What is running' },
);

export const versionRoute: FastifyPluginCallbackTypebox<{ config: Config }> = (
  app,
  { config },
  done,
) => {
  const body = {
    version: config.build.version,
    commit: config.build.commit,
    buildTime: config.build.time,
    environment: config.appEnv,
  };
  app.get(
    '/version',
    {
      schema: {
        operationId: 'getVersion',
        tags: ['operations'],
        summary: 'Version, git commit and build time',
        response: { 200: VersionResponse },
      },
    },
    () => body,
  );
  done();
};
