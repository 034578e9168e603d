// IPv4 detector: the PII detector contract with its positives and hard negatives.
import { ipv4Detector } from '../../../../layers/core/src/index.ts';
import { corpusPositives } from './corpus-cases.ts';
import { detectorContract } from './detector.contract.ts';

detectorContract(ipv4Detector, {
  positives: [
    ...corpusPositives('ipv4'),
    'edges ⟦ipv4:1.0.0.1⟧ and ⟦ipv4:254.254.254.254⟧ end a sentence ⟦ipv4:9.9.9.9⟧.',
  ],
  negatives: [
    'Versions v1.2.3.4, version 10.0.0.1, ver. 2.1.1.1, build 7.7.7.7, firmware 1.1.1.1',
    'Octets past 255: 256.1.1.1 and 192.168.1.300',
    'Leading zeros 192.168.01.1',
    'Longer dotted runs 1.3.6.1.4.1 and 1.2.3.4.5',
    'Three parts 1.2.3 and 10.0.0',
    'Loopback 127.0.0.1, unspecified 0.0.0.0, mask 255.255.255.0',
    'Network 10.0.0.0, broadcast 10.255.255.255, range 203.0.113.0/24',
  ],
});
