//! Where nodes get the certificates they check the database's with: connections to MySQL use TLS and
//! verify the server's certificate and name (the database's parameter group sets
//! `require_secure_transport`, so a plaintext connection is refused).
//!
//! RDS signs each instance's certificate with one of its own certificate authorities, which no operating
//! system trusts by default; RDS publishes them as a bundle ("Certificate bundles for all AWS Regions",
//! <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html>). The nodes download
//! it at boot over HTTPS, checked against the system's trust store, and keep it only if every
//! certificate in it is one of Amazon RDS's (templates/app-user-data.sh, templates/spark-bootstrap.sh).
//! It is not shipped in the user data: EC2 takes 16 KB of user data, and the bundle changes when RDS
//! adds an authority.

/// Where the bundle is kept on app nodes and on the Spark master (readable by every user: certificates
/// are public).
pub const RDS_CA_BUNDLE: &str = "/etc/clusterup/rds-ca-bundle.pem";

/// The bundle of every RDS certificate authority of `region`'s partition: the AWS GovCloud (US) and
/// China regions have their own authorities and their own download locations.
pub fn bundle_url(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "https://truststore.pki.us-gov-west-1.rds.amazonaws.com/global/global-bundle.pem"
    } else if region.starts_with("cn-") {
        "https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/global/global-bundle.pem"
    } else {
        "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partition_downloads_its_own_bundle_over_https() {
        assert_eq!(bundle_url("us-east-1"), "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem");
        assert_eq!(bundle_url("eu-central-2"), bundle_url("us-east-1"));
        assert!(bundle_url("us-gov-east-1").starts_with("https://truststore.pki.us-gov-west-1.rds.amazonaws.com/"));
        assert!(bundle_url("cn-northwest-1").starts_with("https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/"));
    }
}
