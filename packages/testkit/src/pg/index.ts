// The kit's Postgres parts: fresh schemas and projections under test.
export {
  freshSchema,
  freshSchemaName,
  ledgerMessages,
  messagesOf,
  projectedSchema,
} from './project.js';
// Store's transaction helper, for tests that write fixture rows.
export { inTransaction } from '@lineage/store';
export type { FixtureMessage, ProjectionUnderTest, TopicFixture } from './project.js';
export { testDatabase } from './database.js';
export type { TestDatabase } from './database.js';
export { projectionSpecification } from './spec.js';
export type { ProjectionSpecification, ProjectionThen, ProjectionWhen, RowsQuery } from './spec.js';
