// IPv6 detector: the PII detector contract with its positives and hard negatives.
import { ipv6Detector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(ipv6Detector, {
  positives: [...corpusPositives('ipv6'), 'compressed ⟦ipv6:fe80::1⟧ and ⟦ipv6:2001:DB8::A⟧'],
  negatives: [
    'Times 10:30:45 and 23:59, ratio 16:9, score 3:2:1',
    'MAC 00:1A:2B:3C:4D:5E',
    'C++ std::vector, Foo::Bar and Add::Face',
    'Loopback ::1, ::ffff:127.0.0.1 and ::127.0.0.1, unspecified ::',
    'Two compressions 2001::db8::1',
    'Nine groups 1:2:3:4:5:6:7:8:9 and seven 1:2:3:4:5:6:7',
    'Group too long 2001:db8:12345::1',
  ],
});
