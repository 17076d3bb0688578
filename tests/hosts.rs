//! Several servers in one connection string: a backup's workers connect to
//! the server its leader reached, whichever that is.

use crate::support::*;

#[tokio::test]
async fn workers_follow_the_leader_among_several_servers() {
    let (a, b) = (private_cluster(), private_cluster());
    for c in [&a, &b] {
        connect(c, "postgres")
            .await
            .batch_execute("CREATE DATABASE lb")
            .await
            .unwrap();
        connect(c, "lb")
            .await
            .batch_execute("CREATE TABLE t AS SELECT i FROM generate_series(1, 1000) i")
            .await
            .unwrap();
    }
    let conninfo = format!(
        "host={},{} port={},{} user=postgres dbname=lb load_balance_hosts=random",
        a.socket_dir().display(),
        b.socket_dir().display(),
        a.port(),
        b.port()
    );
    let dir = Scratch::new("hosts");
    // The leader picks a server at random: eight backups reach the second
    // one (the workers' first choice is the first) in all but 1 of 256 runs.
    for n in 0..8 {
        let file = dir.path(&format!("{n}.pgsnap"));
        ok(&pgsnap(&[
            "backup",
            "-d",
            &conninfo,
            "-j",
            "2",
            "-f",
            path_str(&file),
        ]));
    }
}
