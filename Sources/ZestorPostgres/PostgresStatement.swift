/// One statement and its parameters (`$1`, `$2`, … in order), to be prepared once per session
/// and left to PostgreSQL's plan cache: custom plans for its first five executions, then a cached
/// generic plan whenever that looks no costlier than planning for the parameter values.
struct PostgresStatement: Sendable {
    let sql: String
    let parameters: [PostgresParameter]
}
