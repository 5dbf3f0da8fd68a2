//! Secrets Manager's kind: the database password clusterup keeps for a database with read replicas
//! (RDS refuses replicas of a MySQL database whose password it manages; see `password`).

pub mod password;
