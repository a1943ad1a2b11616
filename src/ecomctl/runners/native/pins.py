"""What the native stack downloads: pinned versions and their SHA-1s, as Maven Central
publishes them (`<file>.sha1`). Sizes are the published ones, for progress and docs/native.md.

Versions, and why:
- Trino 476, the compose project's: the full server tarball, since the PostgreSQL connector of
  476 is published in no other form; only lib/ and the plugins the catalogs use are unpacked.
- The standalone Hive Metastore 4.0.0, the compose project's (4.0.1 dropped the `get_table`
  call that Spark's built-in Hive client uses), plus what its tarball lacks: Hadoop 3.3.6
  (the version Hive 4.0.0 is built on) with S3A and the parts of the AWS SDK 1.12.367 that
  S3A uses (not the 310 MB bundle), and the PostgreSQL JDBC driver.
- For Spark (the pyspark that ecomctl pins: 4.1, with Hadoop 3.4.2): Iceberg 1.12.0's runtime
  for Spark 4.1 (the newest Spark an Iceberg runtime exists for), hadoop-aws 3.4.2 and the
  AWS SDK v2 2.29.52 modules it was built against (not the 641 MB bundle), and Hive 2.3.10's
  LLAP classes that Spark 4 dropped but its Thrift server still loads.
"""

from __future__ import annotations

from ecomctl.runners.native.artifacts import Artifact

TRINO_VERSION = "476"
METASTORE_VERSION = "4.0.0"

TRINO_SERVER = Artifact(
    "io.trino", "trino-server", TRINO_VERSION, "c9b38be4017ebd2f7095455aaac772fb40247ebe",
    extension="tar.gz", size=821_045_832,
)  # fmt: skip
# The catalogs' connectors; postgresql needs geospatial (its Geometry type) to start.
# password-authenticators: the file of logins Trino checks passwords against.
TRINO_PLUGINS = ("iceberg", "hive", "postgresql", "geospatial", "password-authenticators")
# Where that choice of plugins is unpacked in the cache (a new choice: a new folder).
TRINO_UNPACKED = "-with-password-file"

METASTORE = Artifact(
    "org.apache.hive", "hive-standalone-metastore-server", METASTORE_VERSION,
    "5829183170eb51795f78e5fe9dd6987268330036", extension="tar.gz", classifier="bin",
    size=77_015_207,
)  # fmt: skip

# fmt: off
SPARK_JARS = (
    Artifact("org.apache.iceberg", "iceberg-spark-runtime-4.1_2.13", "1.12.0", "9e395e373a9a99643bf413ca1f74fa0c034887b4", size=48_309_426),
    # Spark 4 no longer ships it, but the Thrift server's session close still loads Hive's
    # function registry, which needs it: without it a closing session drops its connection.
    Artifact("org.apache.hive", "hive-llap-common", "2.3.10", "de4180de8a466b73cf9fe9febb3aaaa0591640ca", size=326_765),
    Artifact("org.apache.hadoop", "hadoop-aws", "3.4.2", "16f9de6da5c7862241d55a13d34843404d0cbb88", size=936_997),
    Artifact("software.amazon.s3.analyticsaccelerator", "analyticsaccelerator-s3", "1.2.1", "44f8cf72ed9d5f948de0ba29e437a17d723bb7bb", size=2_299_678),
    Artifact("software.amazon.awssdk", "annotations", "2.29.52", "9fa958ce528b57d90db01c5015daaf7bd373e57f", size=13_763),
    Artifact("software.amazon.awssdk", "apache-client", "2.29.52", "b7ce213c946d69ab1807b3f7ecac1ce29ed60485", size=77_005),
    Artifact("software.amazon.awssdk", "arns", "2.29.52", "879712423589b58434b8831b9b75304a16983178", size=15_823),
    Artifact("software.amazon.awssdk", "auth", "2.29.52", "76f9b22a99b0de0fd31447db22a5cba4ed4b172e", size=234_084),
    Artifact("software.amazon.awssdk", "aws-core", "2.29.52", "dcfa86ac727b5d4e0abad1e8b025ac2febb6382e", size=180_664),
    Artifact("software.amazon.awssdk", "aws-query-protocol", "2.29.52", "0672d7a2df481414d02eedf3a9eff45fb87f1b8a", size=69_396),
    Artifact("software.amazon.awssdk", "aws-xml-protocol", "2.29.52", "e7290d4528affec022bd2f3739853f774a955ac2", size=102_275),
    Artifact("software.amazon.awssdk", "checksums", "2.29.52", "90631313060ff8ef1ab7745bb1e9740913bdcefc", size=69_428),
    Artifact("software.amazon.awssdk", "checksums-spi", "2.29.52", "537363296f035a935b7d3b50a5bef90014d38010", size=8_046),
    Artifact("software.amazon.awssdk", "crt-core", "2.29.52", "6a16e04be0e8bb8a1767e0644c631dadddfdd764", size=17_776),
    Artifact("software.amazon.awssdk", "endpoints-spi", "2.29.52", "bd702a44ad440628af93afa1ec1d7cdc56baec67", size=13_171),
    Artifact("software.amazon.awssdk", "http-auth", "2.29.52", "aa4ce3ff7bcd8dcf131a4f5445455b3eb4926dcf", size=17_475),
    Artifact("software.amazon.awssdk", "http-auth-aws", "2.29.52", "1d0dbfa072bc46207066ffa498ad4ed65c52ac6d", size=158_970),
    Artifact("software.amazon.awssdk", "http-auth-aws-eventstream", "2.29.52", "e8b723c48008bcac96e2cc34c7415bd8b581c601", size=8_707),
    Artifact("software.amazon.awssdk", "http-auth-spi", "2.29.52", "4a64e68a88e3eef0b51819f742931f3607cdd996", size=45_764),
    Artifact("software.amazon.awssdk", "http-client-spi", "2.29.52", "a8da4f289736c702ec6664836761412e7e1e54a2", size=87_344),
    Artifact("software.amazon.awssdk", "identity-spi", "2.29.52", "0d18449651e8798398cadab6c4b5d8594bb0281c", size=30_965),
    Artifact("software.amazon.awssdk", "json-utils", "2.29.52", "d88c6c03061b9f3fcd17dc8456365dab67cc1597", size=33_224),
    Artifact("software.amazon.awssdk", "metrics-spi", "2.29.52", "92c3797208d24b2b25ab9b6d1bbab624c3af1b9c", size=27_264),
    Artifact("software.amazon.awssdk", "netty-nio-client", "2.29.52", "20fa79ba82d3b290b12cd10ca49f0ff7608a6107", size=287_867),
    Artifact("software.amazon.awssdk", "profiles", "2.29.52", "59dd1368bff2d242d84515ec7ea8fe63bb472c4e", size=49_837),
    Artifact("software.amazon.awssdk", "protocol-core", "2.29.52", "1a0e4a114c0943142ca395000a949ee840890fea", size=44_336),
    Artifact("software.amazon.awssdk", "regions", "2.29.52", "0270b31c8695739d495452d380d036c72698e623", size=904_015),
    Artifact("software.amazon.awssdk", "retries", "2.29.52", "48cb57817dd88977ec71e63550673c5ce010a191", size=66_310),
    Artifact("software.amazon.awssdk", "retries-spi", "2.29.52", "7e2c7ad44106799491de8cced5925b6473d62e4b", size=31_489),
    Artifact("software.amazon.awssdk", "s3", "2.29.52", "db65bc6177b0c4514be1f9775cb2094e29e85d3c", size=3_835_574),
    Artifact("software.amazon.awssdk", "s3-transfer-manager", "2.29.52", "f1c0be0eb8b227ec537a30eafb4af90c86b82f94", size=249_191),
    Artifact("software.amazon.awssdk", "sdk-core", "2.29.52", "3f058b489fac3d091417339e02b165e72c637f61", size=977_550),
    Artifact("software.amazon.awssdk", "sts", "2.29.52", "b9bbe3da301b5c0034d4c31e58bf0833ac3b9b85", size=536_436),
    Artifact("software.amazon.awssdk", "third-party-jackson-core", "2.29.52", "082ff600d837e83130502775a1555c45d7a3e2e1", size=535_001),
    Artifact("software.amazon.awssdk", "utils", "2.29.52", "bde94a15cd79b0240bfa10230970e2f0e4c51eba", size=226_880),
    Artifact("software.amazon.eventstream", "eventstream", "1.0.1", "6ff8649dffc5190366ada897ba8525a836297784", size=30_193),
    Artifact("org.reactivestreams", "reactive-streams", "1.0.4", "3864a1320d97d7b045f729a326e1e077661f31b7", size=11_640),
)
# fmt: on
# fmt: off
METASTORE_JARS = (
    Artifact("org.apache.hadoop", "hadoop-common", "3.3.6", "09ca864bec94779e74b99e84ea02dba85a641233", size=4_603_101),
    Artifact("org.apache.hadoop", "hadoop-auth", "3.3.6", "066aaf67a580910de62f92f21f76e3df170483cf", size=106_145),
    Artifact("org.apache.hadoop", "hadoop-aws", "3.3.6", "d5e162564701848b0921b80aedef9e64435333cc", size=786_622),
    Artifact("org.apache.hadoop", "hadoop-hdfs", "3.3.6", "ba40aca60f39599d5b1f1d32b35295bfde1f3c8b", size=6_304_455),
    Artifact("org.apache.hadoop", "hadoop-hdfs-client", "3.3.6", "d635e3eed4beb74213489ff003ca39dbe47ea44e", size=5_533_900),
    Artifact("org.apache.hadoop.thirdparty", "hadoop-shaded-guava", "1.1.1", "02419d851c01139edf9e19b81056382163d9bfab", size=3_362_359),
    Artifact("org.apache.hadoop.thirdparty", "hadoop-shaded-protobuf_3_7", "1.1.1", "57b7ba0ca94313c342b03bd31830fe4a8f34bc1a", size=1_477_052),
    Artifact("com.amazonaws", "aws-java-sdk-s3", "1.12.367", "61a260f0317b2bf628987102b3154a38d17b5ca5", size=1_260_954),
    Artifact("com.amazonaws", "aws-java-sdk-core", "1.12.367", "712dfb5dd31ed45f6a7a0afe699aa744cccfb53f", size=1_049_248),
    Artifact("com.amazonaws", "aws-java-sdk-kms", "1.12.367", "0ff32e95eef96a1f343c48c3183df39dd553498a", size=702_166),
    Artifact("com.amazonaws", "jmespath-java", "1.12.367", "ac482ceb5498bb724bc74f897431ed2a4a528630", size=27_589),
    Artifact("com.fasterxml.jackson.dataformat", "jackson-dataformat-cbor", "2.12.6", "3cd2e6a538f73483c6c59c354ce2276bcdc5ba7b", size=61_503),
    Artifact("org.apache.httpcomponents", "httpclient", "4.5.13", "e5f6cae5ca7ecaac1ec2827a9e2d65ae2869cada", size=780_321),
    Artifact("joda-time", "joda-time", "2.8.1", "f5bfc718c95a7b1d3c371bb02a188a4df18361a9", size=621_931),
    Artifact("org.apache.commons", "commons-configuration2", "2.8.0", "6a76acbe14d2c01d4758a57171f3f6a150dbd462", size=632_505),
    Artifact("org.apache.commons", "commons-text", "1.10.0", "3363381aef8cef2dbc1023b3e3a9433b08b64e01", size=238_400),
    Artifact("org.apache.commons", "commons-compress", "1.21", "4ec95b60d4e86b5c95a0e919cb172a0af98011ef", size=1_018_316),
    Artifact("commons-collections", "commons-collections", "3.2.2", "8ad72fe39fa8c91eaaf12aadb21e0c3661fe26d5", size=588_337),
    Artifact("commons-io", "commons-io", "2.8.0", "92999e26e6534606b5678014e66948286298a35c", size=285_424),
    Artifact("com.fasterxml.woodstox", "woodstox-core", "5.4.0", "3e05dcce371d3f672feba29f086ad78a93ae3996", size=522_679),
    Artifact("org.codehaus.woodstox", "stax2-api", "4.2.1", "a3f7325c52240418c2ba257b103c3c550e140c83", size=195_909),
    Artifact("com.google.re2j", "re2j", "1.1", "d716952ab58aa4369ea15126505a36544d50a333", size=128_414),
    Artifact("com.google.code.gson", "gson", "2.9.0", "8a1167e089096758b49f9b34066ef98b2f4b37aa", size=249_277),
    Artifact("org.slf4j", "slf4j-api", "1.7.36", "6c62681a2f655b49963a5983b8b0950a6120ae14", size=41_125),
    Artifact("javax.servlet", "javax.servlet-api", "3.1.0", "3cd63d075497751784b2fa84be59432f4905bf7c", size=95_806),
    Artifact("org.postgresql", "postgresql", "42.7.14", "0e7c94ce80cb1dd9875ff44ffe6a40a8aaa3eefd", size=1_221_004),
)
# fmt: on
