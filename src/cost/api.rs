//! Prices from the AWS Price List API (`GetProducts`), for `--pricing-api`: the figures AWS bills today,
//! for any region, instead of the repository's dated table. One GetProducts question per distinct price
//! the estimate needs (a handful), never one per resource. The API is served from us-east-1 (the client
//! is built for it whatever the deployment's region); the emulator does not have it, so it is tested
//! with SDK mocks.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_pricing::types::{Filter, FilterType};

use super::{Basis, PriceKey, Prices};
use crate::aws::{AwsError, ResultExt};

/// How to find one price: the service's code, exact attribute matches, the usage type's ending (AWS
/// prefixes it with a region code outside us-east-1) and the unit of the price dimension wanted.
struct Question {
    service: &'static str,
    filters: Vec<(&'static str, String)>,
    usage_type_ends: Option<&'static str>,
    unit: &'static str,
}

fn question(key: &PriceKey, region: &str) -> Question {
    let region_code = ("regionCode", region.to_owned());
    let q = |service, mut filters: Vec<(&'static str, String)>, usage_type_ends, unit| {
        filters.insert(0, region_code.clone());
        Question { service, filters, usage_type_ends, unit }
    };
    match key {
        PriceKey::Ec2Instance(t) => q(
            "AmazonEC2",
            vec![
                ("instanceType", t.clone()),
                ("operatingSystem", "Linux".into()),
                ("tenancy", "Shared".into()),
                ("preInstalledSw", "NA".into()),
                ("capacitystatus", "Used".into()),
                ("licenseModel", "No License required".into()),
            ],
            None,
            "Hrs",
        ),
        PriceKey::RdsMysqlInstance(c) => q(
            "AmazonRDS",
            vec![
                ("instanceType", c.clone()),
                ("databaseEngine", "MySQL".into()),
                ("deploymentOption", "Single-AZ".into()),
            ],
            None,
            "Hrs",
        ),
        PriceKey::RdsStorage(t) => q(
            "AmazonRDS",
            vec![
                ("productFamily", "Database Storage".into()),
                ("volumeType", if t == "gp3" { "General Purpose-GP3".into() } else { "General Purpose".into() }),
                ("databaseEngine", "MySQL".into()),
                ("deploymentOption", "Single-AZ".into()),
            ],
            None,
            "GB-Mo",
        ),
        PriceKey::EmrUplift(t) => {
            q("ElasticMapReduce", vec![("instanceType", t.clone()), ("softwareType", "EMR".into())], None, "Hrs")
        }
        PriceKey::NatGatewayHour => {
            q("AmazonEC2", vec![("productFamily", "NAT Gateway".into())], Some("NatGateway-Hours"), "Hrs")
        }
        PriceKey::NatGatewayGb => {
            q("AmazonEC2", vec![("productFamily", "NAT Gateway".into())], Some("NatGateway-Bytes"), "GB")
        }
        PriceKey::PublicIpv4Hour => q("AmazonVPC", vec![], Some("PublicIPv4:InUseAddress"), "Hrs"),
        PriceKey::AlbHour => {
            q("AWSELB", vec![("productFamily", "Load Balancer-Application".into())], Some("LoadBalancerUsage"), "Hrs")
        }
        PriceKey::AlbLcuHour => {
            q("AWSELB", vec![("productFamily", "Load Balancer-Application".into())], Some("LCUUsage"), "LCU-Hrs")
        }
        PriceKey::EfsStandardGbMonth => {
            q("AmazonEFS", vec![("storageClass", "General Purpose".into())], Some("TimedStorage-ByteHrs"), "GB-Mo")
        }
        PriceKey::CloudWatchAlarmMonth => q("AmazonCloudWatch", vec![], Some("CW:AlarmMonitorUsage"), "Alarms"),
        // Route 53 is global: its products name no region.
        PriceKey::Route53HostedZoneMonth => Question {
            service: "AmazonRoute53",
            filters: vec![],
            usage_type_ends: Some("HostedZone"),
            unit: "HostedZone",
        },
    }
}

/// Ask the Price List API for every price in `keys` in `region`. A price AWS has no product for is left
/// out with the reason; a refused or failed call is an error naming it.
pub async fn prices(
    client: &aws_sdk_pricing::Client,
    region: &str,
    keys: &BTreeSet<PriceKey>,
    read_at: String,
) -> Result<Prices, AwsError> {
    let mut values = BTreeMap::new();
    for key in keys {
        let question = question(key, region);
        let mut request = client.get_products().service_code(question.service).format_version("aws_v1");
        for (field, value) in &question.filters {
            request = request.filters(
                Filter::builder().r#type(FilterType::TermMatch).field(*field).value(value).build().map_err(|err| {
                    AwsError::local(key.describe(), "GetProducts", format!("cannot build the filter: {err}"))
                })?,
            );
        }
        let pages: Vec<String> = request
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("GetProducts", &key.describe())?;
        if let Some(price) = pages.iter().find_map(|product| read_price(product, &question)) {
            values.insert(key.clone(), price);
        }
    }
    Ok(Prices {
        region: region.to_owned(),
        basis: Basis::PriceListApi { read_at },
        values,
        missing_reason: format!("the AWS Price List API has no such product in {region}"),
    })
}

/// The on-demand price per `question.unit` of one product of a GetProducts answer (a JSON document per
/// product), if it is the product asked for.
fn read_price(product: &str, question: &Question) -> Option<f64> {
    let doc: serde_json::Value = serde_json::from_str(product).ok()?;
    if let Some(ending) = question.usage_type_ends {
        let usage_type = doc["product"]["attributes"]["usagetype"].as_str()?;
        if !usage_type.ends_with(ending) {
            return None;
        }
    }
    let offers = doc["terms"]["OnDemand"].as_object()?;
    offers.values().find_map(|offer| {
        let dimensions = offer["priceDimensions"].as_object()?;
        dimensions.values().find_map(|d| {
            let price: f64 = d["pricePerUnit"]["USD"].as_str()?.parse().ok()?;
            // Tiered prices (data processed) list a free or first tier too: take the first non-zero one.
            (d["unit"].as_str() == Some(question.unit) && price > 0.0).then_some(price)
        })
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_pricing::operation::get_products::{GetProductsInput, GetProductsOutput};
    use aws_sdk_pricing::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    fn product(usage_type: &str, unit: &str, usd: &str) -> String {
        serde_json::json!({
            "product": { "attributes": { "usagetype": usage_type } },
            "terms": { "OnDemand": { "X.JRTCKXETXF": { "priceDimensions": {
                "X.JRTCKXETXF.6YS6EN2CT7": { "unit": unit, "pricePerUnit": { "USD": usd } }
            } } } }
        })
        .to_string()
    }

    fn filter(input: &GetProductsInput, field: &str) -> Option<String> {
        input.filters().iter().find(|f| f.field() == field).map(|f| f.value().to_owned())
    }

    #[tokio::test]
    async fn get_products_sdk_mock_no_price_list_api_in_the_emulator_reads_ec2_and_nat_prices() {
        let ec2 = mock!(Client::get_products)
            .match_requests(|r| {
                r.service_code() == Some("AmazonEC2")
                    && filter(r, "instanceType").as_deref() == Some("t3.large")
                    && filter(r, "regionCode").as_deref() == Some("eu-west-1")
                    && filter(r, "operatingSystem").as_deref() == Some("Linux")
            })
            .then_output(|| {
                GetProductsOutput::builder().price_list(product("EU-BoxUsage:t3.large", "Hrs", "0.0912000000")).build()
            });
        // The NAT gateway family holds both the hourly and the per-GB product: each key takes its own.
        let nat = mock!(Client::get_products)
            .match_requests(|r| filter(r, "productFamily").as_deref() == Some("NAT Gateway"))
            .then_output(|| {
                GetProductsOutput::builder()
                    .price_list(product("EU-NatGateway-Bytes", "GB", "0.048"))
                    .price_list(product("EU-NatGateway-Hours", "Hrs", "0.048"))
                    .build()
            });
        let client = mock_client!(aws_sdk_pricing, RuleMode::MatchAny, [&ec2, &nat]);
        let keys = BTreeSet::from([PriceKey::Ec2Instance("t3.large".into()), PriceKey::NatGatewayHour]);
        let prices = prices(&client, "eu-west-1", &keys, "2026-11-30T12:00:00Z".into()).await.expect("prices");
        assert_eq!(prices.values.get(&PriceKey::Ec2Instance("t3.large".into())), Some(&0.0912));
        assert_eq!(prices.values.get(&PriceKey::NatGatewayHour), Some(&0.048));
        assert_eq!((ec2.num_calls(), nat.num_calls()), (1, 1), "one question per price");
        assert_eq!(prices.basis, Basis::PriceListApi { read_at: "2026-11-30T12:00:00Z".into() });
    }

    #[tokio::test]
    async fn get_products_sdk_mock_a_product_aws_does_not_have_is_reported_not_guessed() {
        let none = mock!(Client::get_products).then_output(|| GetProductsOutput::builder().build());
        let client = mock_client!(aws_sdk_pricing, [&none]);
        let keys = BTreeSet::from([PriceKey::Ec2Instance("x9.huge".into())]);
        let prices = prices(&client, "us-east-1", &keys, "now".into()).await.expect("prices");
        assert!(prices.values.is_empty());
        let why = prices.get(&PriceKey::Ec2Instance("x9.huge".into())).expect_err("unknown");
        assert!(why.contains("EC2 x9.huge per hour") && why.contains("no such product"), "{why}");
    }

    #[tokio::test]
    async fn get_products_sdk_mock_a_refused_call_names_the_call_and_the_price() {
        let denied = mock!(Client::get_products).then_error(|| {
            aws_sdk_pricing::operation::get_products::GetProductsError::generic(
                aws_smithy_types::error::ErrorMetadata::builder().code("AccessDeniedException").message("no").build(),
            )
        });
        let client = mock_client!(aws_sdk_pricing, [&denied]);
        let keys = BTreeSet::from([PriceKey::AlbHour]);
        let err = prices(&client, "us-east-1", &keys, "now".into()).await.expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("GetProducts failed: AccessDeniedException") && text.contains("Application Load Balancer"),
            "{text}"
        );
    }
}
