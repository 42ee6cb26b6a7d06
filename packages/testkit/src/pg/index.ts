// The kit's Postgres parts: fresh schemas and projections under test.
export {
  freshSchema,
  freshSchemaName,
  inTransaction,
  ledgerMessages,
  messagesOf,
  projectedSchema,
} from './project.js';
export type { FixtureMessage, ProjectionUnderTest, TopicFixture } from './project.js';
export { projectionSpecification } from './spec.js';
export type { ProjectionSpecification, ProjectionThen, ProjectionWhen, RowsQuery } from './spec.js';
