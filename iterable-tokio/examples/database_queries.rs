//! Several database queries at once, natively async, against the same queries one after
//! another: `cargo run -p iterable-tokio --features postgres,mysql --example database_queries
//! -- postgres://user@host/db` (or `mysql://user:password@host/db`). Each query counts the rows
//! of a series the server makes, so the example needs no table; with more cores than queries
//! on the server's side, at once takes about as long as the longest one.

use iterable_tokio::ReadOptions;
use std::time::Instant;

/// The queries of PostgreSQL: each reads a few hundred thousand generated rows.
const POSTGRES: [&str; 4] = [
    "SELECT n, n * 2 AS twice FROM generate_series(1, 300000) n",
    "SELECT n, md5(n::text) AS hash FROM generate_series(1, 300000) n",
    "SELECT n, now() AS at FROM generate_series(1, 300000) n",
    "SELECT n, n % 7 = 0 AS sevens FROM generate_series(1, 300000) n",
];

/// The same of MySQL and MariaDB: 600 x 500 rows of a recursive query joined with itself
/// (recursion stays under MariaDB's `max_recursive_iterations` and MySQL's
/// `cte_max_recursion_depth`, 1000 by default).
const MYSQL: [&str; 4] = [
    "WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 600) \
     SELECT a.n * 1000 + b.n AS n, a.n * 2 AS twice FROM s a, s b WHERE b.n <= 500",
    "WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 600) \
     SELECT a.n * 1000 + b.n AS n, md5(b.n) AS hash FROM s a, s b WHERE b.n <= 500",
    "WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 600) \
     SELECT a.n * 1000 + b.n AS n, now() AS at FROM s a, s b WHERE b.n <= 500",
    "WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 600) \
     SELECT a.n * 1000 + b.n AS n, b.n % 7 = 0 AS sevens FROM s a, s b WHERE b.n <= 500",
];

/// Reads every row of `query` and gives their count.
async fn count(url: &str, query: &str) -> iterable_tokio::Result<usize> {
    let mut options = ReadOptions::default();
    options.options.set("query", query);
    let mut reader = iterable_tokio::open_with(url, &options).await?;
    let mut rows = 0;
    while reader.read().await?.is_some() {
        rows += 1;
    }
    Ok(rows)
}

#[tokio::main]
async fn main() -> iterable_tokio::Result<()> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1/postgres".to_owned());

    let queries: &'static [&str] = match url.starts_with("postgres") {
        true => &POSTGRES,
        false => &MYSQL,
    };

    let start = Instant::now();
    for query in queries {
        count(&url, query).await?;
    }
    let one_by_one = start.elapsed();

    let start = Instant::now();
    let tasks: Vec<_> = queries
        .iter()
        .map(|query| {
            let url = url.clone();
            tokio::spawn(async move { count(&url, query).await })
        })
        .collect();
    let mut rows = 0;
    for task in tasks {
        rows += task.await.expect("the query's task ran")?;
    }
    let at_once = start.elapsed();

    println!("{} queries, {rows} rows", queries.len());
    println!("one after another: {:.2} s", one_by_one.as_secs_f64());
    println!("at once:           {:.2} s", at_once.as_secs_f64());
    Ok(())
}
